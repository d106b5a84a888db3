// What sticks out sideways on a page: an element reaching past the window's left or right edge, or a
// box whose content is wider than the box (a table scrolling inside its frame). The document's own
// scrollWidth misses the latter, since the frame itself fits.
//
//   expect(await horizontalOverflows(page)).toEqual([]);
import type { Page } from 'playwright-core';

/** One line per overflowing visible element: its tag, classes, and by how many pixels it overflows. */
export function horizontalOverflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    const describe = (element: Element) => `<${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? ` class="${element.className}"` : ''}> ${(element.textContent ?? '').trim().slice(0, 40)}`;
    for (const element of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(element);
      if (style.display === 'none' || style.visibility === 'hidden' || style.clip !== 'auto') continue;
      const box = element.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      if (box.right > width + 0.5 || box.left < -0.5) found.push(`${describe(element)}: spans ${Math.round(box.left)}..${Math.round(box.right)} px of ${width}`);
      else if (style.overflowX !== 'visible' && element.scrollWidth > element.clientWidth + 1) found.push(`${describe(element)}: content ${element.scrollWidth} px wide in ${element.clientWidth} px`);
    }
    return found;
  });
}
