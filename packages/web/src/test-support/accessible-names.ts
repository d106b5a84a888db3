import type { Page } from 'playwright-core';

/**
 * The page's visible controls (links, buttons, inputs, selects, text areas) that have no accessible
 * name — from aria-label, aria-labelledby, a <label>, their text or a title — each described by its
 * tag and some of its markup. Expect the list to be empty.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const nameOf = (element: HTMLElement): string => {
      const label = element.getAttribute('aria-label')?.trim();
      if (label) return label;
      const labelledBy = element.getAttribute('aria-labelledby');
      if (labelledBy) {
        const joined = labelledBy
          .split(/\s+/)
          .map((id) => text(document.getElementById(id)))
          .join(' ')
          .trim();
        if (joined) return joined;
      }
      if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement) {
        const fromLabels = [...(element.labels ?? [])].map((l) => text(l)).join(' ').trim();
        if (fromLabels) return fromLabels;
        if (element instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(element.type)) return element.value.trim();
      } else {
        const own = text(element) || [...element.querySelectorAll('img[alt]')].map((img) => img.getAttribute('alt') ?? '').join(' ').trim();
        if (own) return own;
      }
      return element.getAttribute('title')?.trim() ?? '';
    };
    const visible = (element: HTMLElement) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
    return [...document.querySelectorAll<HTMLElement>('a[href], button, input:not([type="hidden"]), select, textarea')]
      .filter((element) => visible(element) && !nameOf(element))
      .map((element) => `<${element.tagName.toLowerCase()}> ${element.outerHTML.slice(0, 120)}`);
  });
}
