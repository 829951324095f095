// Passerelle: the signature canvas of the signing page. Finger, stylus or
// mouse through pointer events; the drawing goes as a PNG data URL in the
// hidden field "image" when the form is sent. Without JavaScript the canvas
// stays hidden and the typed name is the signature (the accessible alternative).
(function () {
  'use strict';
  var MAX_WIDTH_PX = 2000, MAX_HEIGHT_PX = 1000; // the service's limits

  function setUp(form) {
    var zone = form.querySelector('[data-signature-zone]');
    var canvas = form.querySelector('[data-signature-canvas]');
    var image = form.querySelector('[data-signature-image]');
    var clear = form.querySelector('[data-signature-clear]');
    var state = form.querySelector('[data-signature-etat]');
    var or = form.querySelector('[data-signature-ou]');
    var noScript = form.querySelector('[data-signature-sans-js]');
    if (!zone || !canvas || !image || !canvas.getContext) return;
    zone.hidden = false;
    if (or) or.hidden = false;
    if (noScript) noScript.hidden = true;
    var ctx = canvas.getContext('2d');
    var drawn = false, drawing = false, last = null;

    function style() {
      ctx.lineWidth = 2.5;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.strokeStyle = '#111111';
    }
    // The bitmap follows the displayed size (and the screen's density, within the limits).
    function resize() {
      var w = canvas.clientWidth, h = canvas.clientHeight;
      if (!w || !h) return;
      var ratio = Math.min(window.devicePixelRatio || 1, MAX_WIDTH_PX / w, MAX_HEIGHT_PX / h);
      var previous = drawn ? canvas.toDataURL('image/png') : null;
      canvas.width = Math.floor(w * ratio);
      canvas.height = Math.floor(h * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      style();
      if (previous) {
        var img = new Image();
        img.onload = function () { ctx.drawImage(img, 0, 0, w, h); };
        img.src = previous;
      }
    }
    function point(event) {
      var r = canvas.getBoundingClientRect();
      return { x: event.clientX - r.left, y: event.clientY - r.top };
    }
    function announce(text) { if (state) state.textContent = text; }

    canvas.addEventListener('pointerdown', function (event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
    });
    canvas.addEventListener('pointermove', function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      if (!drawn) { drawn = true; announce('Signature dessinée.'); }
    });
    function stop() { drawing = false; last = null; }
    canvas.addEventListener('pointerup', stop);
    canvas.addEventListener('pointercancel', stop);
    canvas.addEventListener('pointerleave', stop);
    clear.addEventListener('click', function () {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
      drawn = false;
      image.value = '';
      announce('Cadre vide.');
    });
    form.addEventListener('submit', function () {
      image.value = drawn ? canvas.toDataURL('image/png') : '';
    });
    window.addEventListener('resize', resize);
    resize();
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-signature-form]').forEach(setUp);
  });
})();
