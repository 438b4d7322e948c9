/* global document, window, HTMLFormElement */
// Progressive enhancement only: every page works without this file.
// A form that starts work (a run, a retry) is sent once: its button says so while the server works,
// and a second click does not start a second run.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.busy) return;
  const button = form.querySelector('button[type="submit"]');
  if (!button) return;
  if (form.dataset.sent === 'true') {
    event.preventDefault();
    return;
  }
  form.dataset.sent = 'true';
  button.dataset.label = button.textContent;
  button.setAttribute('aria-disabled', 'true');
  button.textContent = form.dataset.busy;
});

// Coming back to a page from the browser's history: its forms can be sent again
window.addEventListener('pageshow', () => {
  for (const form of document.querySelectorAll('form[data-sent="true"]')) {
    delete form.dataset.sent;
    const button = form.querySelector('button[type="submit"]');
    if (button && button.dataset.label) {
      button.textContent = button.dataset.label;
      button.removeAttribute('aria-disabled');
    }
  }
});
