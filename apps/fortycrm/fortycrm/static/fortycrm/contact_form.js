// Contact form: the birthday is only for contacts of private customers (R-CON-3). When the
// customer is chosen in the form, the picker's answer says whether it is private; for a
// company the birthday field is hidden and emptied (the server leaves it out on saving too).
(function () {
  function birthdayBox() {
    var input = document.querySelector('input[name="birthday"]');
    if (!input) return null;
    return { input: input, box: input.closest('.field-birthday') || input.closest('.form-row') || input.parentElement };
  }
  function show(visible) {
    var found = birthdayBox();
    if (!found) return;
    found.box.style.display = visible ? '' : 'none';
    if (!visible) found.input.value = '';
  }
  document.addEventListener('DOMContentLoaded', function () {
    var $ = window.django && window.django.jQuery;
    var select = document.querySelector('select[name="customer"]');
    if (!$ || !select) return;
    $(select).on('select2:select', function (event) {
      var data = (event.params && event.params.data) || {};
      show(data.private !== false);
    });
    $(select).on('select2:clear', function () { show(true); });
  });
})();
