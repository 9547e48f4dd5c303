// Progressive enhancement only: every feature works without this file.
// With it, changing the sort order applies at once instead of needing the button.
document.documentElement.classList.add("js");
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.id === "sort" && target.form) {
    target.form.submit();
  }
});
