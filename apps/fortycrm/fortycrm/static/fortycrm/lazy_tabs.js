// Record tabs loaded when opened (issue 13, fortycrm/admin/lazy_tabs.py): the placeholder of a
// tab fetches the tab's rows (the same page's address: inline pages and prefills are kept) and
// puts them into the form; from then on they are sent and saved with it.
(function () {
  function wire(root) {
    // what unfold and Django's admin scripts set up on page load, for the new rows
    root.querySelectorAll('.add-row').forEach(function (el) {
      if (typeof addInlineTemplateHandler === 'function') el.addEventListener('click', addInlineTemplateHandler);
    });
    root.querySelectorAll('.delete-template').forEach(function (el) {
      if (typeof deleteInlineTemplateHandler === 'function') el.addEventListener('click', deleteInlineTemplateHandler);
    });
    if (window.DateTimeShortcuts) {
      root.querySelectorAll('input.vDateField').forEach(function (input) {
        if (input.name.indexOf('__prefix__') === -1) window.DateTimeShortcuts.addCalendar(input);
      });
      root.querySelectorAll('input.vTimeField').forEach(function (input) {
        if (input.name.indexOf('__prefix__') === -1) window.DateTimeShortcuts.addClock(input);
      });
    }
    if (window.htmx) window.htmx.process(root);  // the tab's inline paging links
    if (window.django && window.django.jQuery && window.django.jQuery.fn.djangoAdminSelect2) {
      window.django.jQuery(root).find('.admin-autocomplete').not('[name*=__prefix__]').djangoAdminSelect2();
    }
  }
  window.fortycrmLoadTab = function (placeholder) {
    if (placeholder.dataset.loading) return;
    placeholder.dataset.loading = '1';
    fetch(placeholder.dataset.lazyTabUrl + window.location.search, {credentials: 'same-origin', headers: {'X-Requested-With': 'XMLHttpRequest'}})
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var box = document.createElement('div');
        box.innerHTML = html.trim();
        var tab = box.firstElementChild;
        placeholder.replaceWith(tab);
        wire(tab);
        document.dispatchEvent(new CustomEvent('fortycrm:tab-loaded', {detail: {tab: tab}}));
      })
      .catch(function () {
        delete placeholder.dataset.loading;
        var note = placeholder.querySelector('.fortycrm-lazy-tab-loading');
        if (note) note.textContent = placeholder.dataset.errorText || note.textContent;
      });
  };
})();
