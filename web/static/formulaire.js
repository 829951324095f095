// Enhancement of the form pages (web/views/formulaire.mustache); every task also
// works without this script (submit buttons, server round trips). Nothing about the
// household is kept in the browser's storage: drafts are saved on the server only.
//  - the error summary takes focus; its links focus the field they name;
//  - table rows are added and removed in the page (the <template> row);
//  - long texts show how many characters remain;
//  - the draft is saved to the server a few seconds after typing stops (with the CSRF token);
//  - a field is checked when it is left, through the same validation as finalising;
//  - leaving the page with unsaved changes asks for confirmation.
(function () {
  'use strict';
  var form = document.querySelector('form[data-form]');
  var AUTOSAVE_DELAY_MS = 3000;

  var summary = document.querySelector('[data-error-summary]');
  if (summary) {
    summary.focus();
    summary.addEventListener('click', function (event) {
      var link = event.target.closest('a[href^="#"]');
      if (!link) return;
      var target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target) return;
      event.preventDefault();
      var legendOrLabel = target.closest('fieldset') && target.type === 'radio' ? target.closest('fieldset').querySelector('legend')
        : document.querySelector('label[for="' + target.id + '"]');
      (legendOrLabel || target).scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }
  if (!form) return;

  // ---- Character counters -------------------------------------------------------------
  function updateCounter(area) {
    var max = parseInt(area.getAttribute('data-maxlength'), 10);
    var counter = document.querySelector('[data-counter-for="' + area.id + '"]');
    if (!counter || !max) return;
    var left = max - Array.from(area.value).length;
    counter.hidden = false;
    counter.classList.toggle('compteur--depasse', left < 0);
    counter.textContent = left >= 0
      ? 'Il vous reste ' + left.toLocaleString('fr-FR') + ' caractère' + (left > 1 ? 's' : '') + '.'
      : 'Vous avez dépassé la limite de ' + (-left).toLocaleString('fr-FR') + ' caractère' + (-left > 1 ? 's' : '') + '.';
  }
  form.querySelectorAll('textarea[data-maxlength]').forEach(updateCounter);

  // ---- Table rows ------------------------------------------------------------------------
  function renumber(table) {
    var rows = table.querySelector('[data-rows]').children;
    Array.prototype.forEach.call(rows, function (row, i) {
      var legend = row.querySelector('legend');
      if (legend) legend.textContent = legend.textContent.replace(/ligne \d+/, 'ligne ' + (i + 1));
      var remove = row.querySelector('[data-remove-row]');
      if (remove && remove.firstChild) remove.firstChild.nodeValue = 'Retirer la ligne ' + (i + 1);
    });
    var empty = table.querySelector('[data-empty]');
    if (empty) empty.hidden = rows.length > 0;
  }
  form.addEventListener('click', function (event) {
    var add = event.target.closest('[data-add-row]');
    var remove = event.target.closest('[data-remove-row]');
    if (add) {
      var table = add.closest('[data-table]');
      var template = table.querySelector(':scope > template[data-row-template]');
      if (!template) return;
      event.preventDefault();
      var rows = table.querySelector('[data-rows]');
      var next = 0;
      Array.prototype.forEach.call(rows.children, function (row) {
        var m = /\/(\d+)$/.exec(row.getAttribute('data-row') || '');
        if (m) next = Math.max(next, parseInt(m[1], 10) + 1);
      });
      var html = template.innerHTML.split('__i__').join(String(next)).split('__n__').join(String(rows.children.length + 1));
      var holder = document.createElement('div');
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      renumber(table);
      row.querySelectorAll('textarea[data-maxlength]').forEach(updateCounter);
      var first = row.querySelector('input, select, textarea');
      if (first) first.focus();
      changed();
    } else if (remove) {
      var row2 = remove.closest('[data-row]');
      var table2 = remove.closest('[data-table]');
      if (!row2 || !table2) return;
      event.preventDefault();
      row2.remove();
      renumber(table2);
      table2.focus();
      changed();
    }
  });

  // ---- Autosave and unsaved changes ------------------------------------------------------
  var dirty = false, timer = null, saving = false, submitting = false;
  var status = form.querySelector('[data-autosave-status]');
  var pageStatus = document.querySelector('[data-save-status]');
  function body(extra) {
    var data = new URLSearchParams(new FormData(form));
    data.delete('_action');
    if (extra) data.set('_action', extra);
    return data;
  }
  // "pending" while a change is not yet on the server, "saved" once everything typed is.
  function markState() { form.setAttribute('data-autosave-state', dirty || saving ? 'pending' : 'saved'); }
  function save() {
    timer = null;
    if (saving || !dirty) return;
    saving = true;
    dirty = false;
    var url = form.getAttribute('data-autosave-url');
    var creating = !form.getAttribute('data-check-url');
    fetch(url, { method: 'POST', body: body(creating ? 'autosave' : null), credentials: 'same-origin',
                 headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (saved) {
        if (creating) {
          // The draft now exists: later saves, checks and buttons go to it.
          form.setAttribute('action', saved.actionUrl);
          form.setAttribute('data-autosave-url', saved.autosaveUrl);
          form.setAttribute('data-check-url', saved.checkUrl);
          history.replaceState(null, '', saved.actionUrl);
        }
        var text = 'Brouillon enregistré automatiquement le ' + saved.savedAt + '.';
        if (status) status.textContent = text;
        if (pageStatus) pageStatus.textContent = 'enregistré le ' + saved.savedAt;
      })
      .catch(function () {
        dirty = true;
        if (status) status.textContent = 'L’enregistrement automatique a échoué : utilisez « Enregistrer le brouillon ».';
      })
      .then(function () { saving = false; if (dirty && !timer) timer = setTimeout(save, AUTOSAVE_DELAY_MS); markState(); });
  }
  // Saved at most every AUTOSAVE_DELAY_MS while the person keeps typing (not only once they pause):
  // a battery that dies mid-sentence loses at most the last few seconds.
  function changed() {
    dirty = true;
    if (!timer && !saving) timer = setTimeout(save, AUTOSAVE_DELAY_MS);
    markState();
  }
  form.addEventListener('input', function (event) {
    if (event.target.matches('textarea[data-maxlength]')) updateCounter(event.target);
    changed();
  });
  form.addEventListener('change', changed);
  form.addEventListener('submit', function () { submitting = true; });
  window.addEventListener('beforeunload', function (event) {
    if (submitting || (!dirty && !saving)) return;
    event.preventDefault();
    event.returnValue = '';
  });

  // ---- Inline validation, through the server's validation -----------------------------
  function showError(fieldId, message) {
    var input = document.getElementById(fieldId);
    if (!input) return;
    var box = input.closest('.champ');
    if (!box) return;
    var errorId = fieldId + '--error';
    var p = document.getElementById(errorId);
    var inputs = box.querySelectorAll('input, select, textarea');
    var described = box.querySelector('fieldset.choix-groupe') || input;
    if (message) {
      if (!p) {
        p = document.createElement('p');
        p.className = 'champ__erreur';
        p.id = errorId;
        var hint = box.querySelector('.champ__aide');
        var anchor = hint ? hint.nextSibling : (box.querySelector('legend, label') || input).nextSibling;
        (hint || box.querySelector('legend, label')).parentNode.insertBefore(p, anchor);
      }
      p.innerHTML = '';
      var hidden = document.createElement('span');
      hidden.className = 'masque';
      hidden.textContent = 'Erreur :';
      p.appendChild(hidden);
      p.appendChild(document.createTextNode(' ' + message));
      box.classList.add('champ--erreur');
      inputs.forEach(function (i) { i.setAttribute('aria-invalid', 'true'); });
      var ids = (described.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (ids.indexOf(errorId) < 0) ids.push(errorId);
      described.setAttribute('aria-describedby', ids.join(' '));
    } else if (p) {
      p.remove();
      box.classList.remove('champ--erreur');
      inputs.forEach(function (i) { i.removeAttribute('aria-invalid'); });
      var rest = (described.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x !== errorId; });
      if (rest.length) described.setAttribute('aria-describedby', rest.join(' '));
      else described.removeAttribute('aria-describedby');
    }
  }
  form.addEventListener('focusout', function (event) {
    var field = event.target.closest('[data-field]');
    var url = form.getAttribute('data-check-url');
    if (!field || !url || !event.target.name || event.target.name.charAt(0) !== '/') return;
    var pointer = field.getAttribute('data-field');
    var fieldId = 'f' + pointer.replace(/\//g, '-');
    // Checks only the field left: a value not typed yet is not an error to show.
    if (!event.target.value) return;
    fetch(url, { method: 'POST', body: body(null), credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : { errors: [] }; })
      .then(function (report) {
        var mine = report.errors.filter(function (e) { return e.path === pointer || e.path.indexOf(pointer + '/') === 0; });
        showError(fieldId, mine.map(function (e) { return e.message; }).join(' '));
      })
      .catch(function () {});
  });
})();
