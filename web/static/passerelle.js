// Passerelle: small enhancements only; every page works without JavaScript.
(function () {
  'use strict';
  // The error summary takes focus when the page shows one (GOV.UK pattern),
  // and its links move focus to the input they name.
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.querySelector('[data-resume-erreurs]');
    if (summary) summary.focus();
    document.querySelectorAll('.resume-erreurs a[href^="#"]').forEach(function (link) {
      link.addEventListener('click', function (event) {
        var target = document.getElementById(link.getAttribute('href').slice(1));
        if (!target) return;
        event.preventDefault();
        var field = target.closest('.champ, fieldset');
        (field || target).scrollIntoView();
        target.focus({ preventScroll: true });
      });
    });
  });
})();
