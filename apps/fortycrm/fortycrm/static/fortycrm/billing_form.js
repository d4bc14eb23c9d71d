// Order and invoice forms: the location picker offers only the chosen customer's locations.
// The picker (Django's autocomplete) asks the server; the chosen customer travels with the
// request, and a location of another customer is cleared when the customer changes.
(function () {
  function customerId() {
    var select = document.querySelector('select[name="customer"]');
    return select ? select.value : '';
  }
  document.addEventListener('DOMContentLoaded', function () {
    var $ = window.django && window.django.jQuery;
    if (!$) return;
    $.ajaxPrefilter(function (options) {
      // select2 sends term, app_label, model_name and field_name as (already serialised) data
      if (options.url && options.url.indexOf('/autocomplete/') !== -1 && typeof options.data === 'string' &&
          /(^|&)field_name=location(&|$)/.test(options.data)) {
        options.data += '&customer=' + encodeURIComponent(customerId());
      }
    });
    var customer = $('select[name="customer"]');
    var location = $('select[name="location"]');
    customer.on('change', function () {
      if (location.length && location.val()) location.val(null).trigger('change');
    });
  });
})();
