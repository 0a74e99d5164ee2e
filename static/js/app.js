// Persona Studio: site-wide behaviour. The song form's mode tabs and editor live in song-form.js.
// The language switcher has no script on purpose: it changes only when its button is pressed
// (WCAG 3.2.2 — choosing in a select must not reload the page by itself).

// Forms that start paid or slow work (data-submit-once): a second press while the first is on
// its way does nothing. The server makes one job per submission anyway (personastudio/submission.py);
// this just keeps the page honest. Listening on window runs after every page script's own checks.
window.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once") || event.defaultPrevented) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => button.setAttribute("aria-busy", "true"));
});

// Back to a page kept in the browser's memory: its form may be sent again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.querySelectorAll("[aria-busy]").forEach((button) => button.removeAttribute("aria-busy"));
  });
});
