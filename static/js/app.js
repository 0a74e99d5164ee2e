// Persona Studio: site-wide behaviour. The song form's mode tabs and editor live in song-form.js.

// The language switcher applies as soon as a language is picked (its button stays for no-JS use).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});
