// Customer form: show the customer number only for statuses with number (R-NUM-1), and
// the company or the private fields for the chosen kind (R-CUS-1).
(function () {
  var COMPANY_ONLY = ['name'];
  var PRIVATE_ONLY = ['salutation', 'title', 'first_name', 'last_name'];
  function container(name) {
    var input = document.querySelector('[name="' + name + '"]');
    if (!input) return null;
    return input.closest('.field-' + name) || input.closest('.form-row') || input.parentElement;
  }
  function toggle(name, visible) {
    var box = container(name);
    if (box) box.style.display = visible ? '' : 'none';
  }
  function update() {
    var status = document.querySelector('select[name="status"]');
    var numberInput = document.querySelector('input[name="number"]');
    if (status && numberInput) {
      var withNumber = JSON.parse(status.getAttribute('data-with-number') || '[]').map(String);
      toggle('number', withNumber.indexOf(String(status.value)) !== -1);
    }
    var kind = document.querySelector('select[name="kind"]');
    if (kind) {
      var company = kind.value === 'company';
      COMPANY_ONLY.forEach(function (n) { toggle(n, company); });
      PRIVATE_ONLY.forEach(function (n) { toggle(n, !company); });
      // R-CON-3: contacts of a company customer have no birthday field
      document.querySelectorAll('input[name^="contacts-"][name$="-birthday"]').forEach(function (input) {
        var box = input.closest('.field-birthday') || input.closest('.form-row') || input.parentElement;
        if (box) box.style.display = company ? 'none' : '';
        if (company) input.value = '';
      });
      // standard fields an admin hid for one kind (Einstellungen → Standardfelder)
      var hidden = JSON.parse(kind.getAttribute('data-hidden-fields') || '{}');
      var own = (company ? hidden.company : hidden.private) || [];
      ((company ? hidden.private : hidden.company) || []).forEach(function (n) {
        if (COMPANY_ONLY.indexOf(n) === -1 && PRIVATE_ONLY.indexOf(n) === -1) toggle(n, true);
      });
      own.forEach(function (n) { toggle(n, false); });
    }
  }
  document.addEventListener('DOMContentLoaded', function () {
    ['status', 'kind'].forEach(function (name) {
      var el = document.querySelector('select[name="' + name + '"]');
      if (el) el.addEventListener('change', update);
    });
    document.addEventListener('formset:added', update);  // a new contact row
    document.addEventListener('fortycrm:tab-loaded', update);  // the contacts tab, loaded when opened
    update();
  });
})();
