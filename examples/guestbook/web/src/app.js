// The guestbook page. It talks to the api at /api on its own host: the edge router sends /api to the
// api service, everything else to this static site. Text from the API is only ever set as text.

const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function renderEntry(entry) {
  const item = document.createElement('li');
  const article = document.createElement('article');
  const header = document.createElement('header');
  const name = document.createElement('strong');
  name.textContent = entry.name;
  const time = document.createElement('time');
  time.dateTime = entry.createdAt;
  time.textContent = formatTime(entry.createdAt);
  header.append(name, ' · ', time);
  const message = document.createElement('p');
  message.textContent = entry.message;
  article.append(header, message);
  item.append(article);
  return item;
}

async function loadEntries() {
  const list = $('entries');
  const status = $('entries-status');
  list.setAttribute('aria-busy', 'true');
  try {
    const { entries, total } = await getJson('/api/entries');
    list.replaceChildren(...entries.map(renderEntry));
    status.textContent =
      total === 0 ? 'No entries yet: be the first to sign.' : total > entries.length ? `Showing the newest ${entries.length} of ${total} entries.` : '';
  } catch (error) {
    status.textContent = `The entries could not be loaded (${error.message}).`;
  } finally {
    list.setAttribute('aria-busy', 'false');
  }
  loadStats();
}

async function loadStats() {
  try {
    const { stats } = await getJson('/api/stats');
    $('stats').textContent = stats
      ? `${stats.entryCount} ${stats.entryCount === 1 ? 'entry' : 'entries'} by ${stats.authorCount} ${stats.authorCount === 1 ? 'person' : 'people'}, counted by the worker at ${formatTime(stats.computedAt)}.`
      : 'The worker has not counted the entries yet.';
  } catch {
    $('stats').textContent = '';
  }
}

async function loadEnvironment() {
  try {
    const info = await getJson('/api/info');
    $('greeting').textContent = info.greeting;
    $('env-id').textContent = info.envId;
    $('env-branch').textContent = info.branch ?? 'unknown';
    $('api-version').textContent = info.commitShort ?? 'development';
    document.title = `Guestbook · ${info.envId}`;
  } catch {
    for (const id of ['env-id', 'env-branch', 'api-version']) $(id).textContent = 'unavailable';
  }
  try {
    // Written by build.mjs; absent when the source folder is served as it is.
    const build = await getJson('build-info.json');
    $('web-version').textContent = build.commit ?? 'development';
  } catch {
    $('web-version').textContent = 'not built';
  }
}

function showFieldErrors(form, issues) {
  let first;
  for (const field of ['name', 'message']) {
    const input = form.elements.namedItem(field);
    const error = $(`${field}-error`);
    const messages = issues.filter((i) => i.field === field).map((i) => i.message);
    input.setAttribute('aria-invalid', String(messages.length > 0));
    error.textContent = messages.join(' ');
    error.hidden = messages.length === 0;
    if (messages.length > 0 && !first) first = input;
  }
  first?.focus();
}

/** The same rules as the api, so most mistakes are caught before a round trip. */
function checkLocally(form) {
  const issues = [];
  for (const field of ['name', 'message']) {
    const input = form.elements.namedItem(field);
    const label = field === 'name' ? 'Your name' : 'Message';
    if (input.value.trim() === '') issues.push({ field, message: `${label} is required.` });
    else if (input.value.trim().length > input.maxLength) issues.push({ field, message: `${label} is at most ${input.maxLength} characters.` });
  }
  return issues;
}

async function submitEntry(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const status = $('form-status');
  const button = form.querySelector('button[type="submit"]');
  const local = checkLocally(form);
  showFieldErrors(form, local);
  if (local.length > 0) {
    status.textContent = 'Please correct the highlighted fields.';
    return;
  }
  button.disabled = true;
  status.textContent = 'Signing…';
  try {
    const response = await fetch('/api/entries', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name: form.elements.namedItem('name').value, message: form.elements.namedItem('message').value }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 400 && Array.isArray(body.issues)) {
      showFieldErrors(form, body.issues);
      status.textContent = 'Please correct the highlighted fields.';
    } else if (!response.ok) {
      status.textContent = `The entry was not saved: ${body.error ?? `the server answered ${response.status}`}.`;
    } else {
      form.reset();
      status.textContent = `Thank you, ${body.name}! Your entry is saved.`;
      await loadEntries();
    }
  } catch (error) {
    status.textContent = `The entry was not saved: ${error.message}.`;
  } finally {
    button.disabled = false;
  }
}

$('entry-form').addEventListener('submit', submitEntry);
loadEnvironment();
loadEntries();
