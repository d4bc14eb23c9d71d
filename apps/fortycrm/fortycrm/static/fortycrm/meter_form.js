// Meter forms (meter page and the meters tab of a location): the unit follows the kind
// (electricity kWh, gas and water m³, heat kWh or MWh) and stays editable. A unit the user
// typed is kept; only an empty unit or the previous kind's usual unit is replaced.
(function () {
  function unitInput(kindSelect) {
    var name = kindSelect.name.replace(/kind$/, 'unit');
    return document.querySelector('input[name="' + name + '"]');
  }
  function ensureList(select) {
    if (document.getElementById('fortycrm-meter-units')) return;
    var list = document.createElement('datalist');
    list.id = 'fortycrm-meter-units';
    JSON.parse(select.getAttribute('data-unit-choices') || '[]').forEach(function (unit) {
      var option = document.createElement('option');
      option.value = unit;
      list.appendChild(option);
    });
    document.body.appendChild(list);
  }
  function isKind(el) {
    return el && el.tagName === 'SELECT' && /(^|-)kind$/.test(el.name) && el.hasAttribute('data-units');
  }
  document.addEventListener('focusin', function (event) {
    if (isKind(event.target)) event.target.setAttribute('data-previous', event.target.value);
  });
  document.addEventListener('change', function (event) {
    var select = event.target;
    if (!isKind(select)) return;
    var units = JSON.parse(select.getAttribute('data-units') || '{}');
    var input = unitInput(select);
    if (!input) return;
    var previous = units[select.getAttribute('data-previous') || ''] || '';
    var current = input.value.trim();
    if (current === '' || current === previous) input.value = units[select.value] || '';
    select.setAttribute('data-previous', select.value);
  });
  function init() {
    var first = document.querySelector('select[data-units]');
    if (first) ensureList(first);
  }
  document.addEventListener('DOMContentLoaded', init);
  document.addEventListener('fortycrm:tab-loaded', init);  // the meters tab, loaded when opened
})();
