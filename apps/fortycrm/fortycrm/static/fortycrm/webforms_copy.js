/* Copy buttons of the website form snippets (no inline handlers: the desk's CSP blocks them). */
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button.fortycrm-copy") : null;
  if (!button) return;
  var area = document.getElementById(button.getAttribute("data-copy"));
  if (!area) return;
  area.select();
  if (navigator.clipboard) navigator.clipboard.writeText(area.value); else document.execCommand("copy");
});
