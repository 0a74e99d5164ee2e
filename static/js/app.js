// Song form: show the section of the chosen mode. Without JavaScript both stay visible.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("generation-form");
  if (!form) return;
  const show = () => {
    const mode = form.querySelector("input[name=mode]:checked")?.value || "custom";
    form.querySelectorAll("[data-mode-section]").forEach((section) => {
      section.hidden = section.dataset.modeSection !== mode;
    });
  };
  form.querySelectorAll("input[name=mode]").forEach((radio) => radio.addEventListener("change", show));
  show();
});
