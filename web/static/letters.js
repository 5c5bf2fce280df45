/* The letters of an application, on its page (issue 14, "Letters"): the decision, rejection,
 * award and clawback notices as the server prints them (GET /v1/applications/{id}/letter?kind=,
 * a Chinese A4 page with print CSS, the program's document number and the issuing office), one
 * button for each kind that fits the application as the server decides it (decision always;
 * rejection when rejected or ineligible; award when awarded; clawback once money was
 * recovered). Every role that reads the application may print them. The letter opens in a new
 * window to print, fetched with the signed-in credentials.
 *
 * app.js calls QuanLetters.section(app, kit) from its application view; the strings are added to
 * QUAN_I18N here, so that this file stands apart from the shared ones. */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'letters.title': 'Letters',
    'letters.help': 'Printable A4 letters in Chinese, with the program\'s document number and the issuing office.',
    'letters.decision': 'Print the decision letter',
    'letters.rejection': 'Print the rejection letter',
    'letters.award': 'Print the award letter',
    'letters.clawback': 'Print the clawback letter'
  });
  Object.assign(I.zh, {
    'letters.title': '通知书',
    'letters.help': '可打印的 A4 中文通知书，载明政策文号和发文机关。',
    'letters.decision': '打印申请审核结果通知书',
    'letters.rejection': '打印不予资助通知书',
    'letters.award': '打印资助决定通知书',
    'letters.clawback': '打印追回资助资金通知书'
  });

  /* The kinds of letter that fit application a (as the server's letter.c decides). */
  function kinds(a) {
    var out = ['decision'];
    if (a.state === 'rejected' || a.state === 'ineligible') out.push('rejection');
    if (a.state === 'awarded') out.push('award');
    if (a.recovered && a.recovered !== '0.00') out.push('clawback');
    return out;
  }

  /* Open the letter of kind in a new window (opened at the click, so no pop-up blocker stops
   * it), or show the server's refusal. */
  function open(a, kind, k) {
    var w = window.open('', '_blank');
    var headers = {};
    if (k.S.token) headers.Authorization = 'Bearer ' + k.S.token;
    fetch('/v1/applications/' + encodeURIComponent(a.id) + '/letter?kind=' + kind,
      { headers: headers, credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) {
        return res.json().then(function (b) {
          var e = new Error(b && b.error ? b.error.message : res.statusText);
          e.api = b && b.error;
          throw e;
        });
      }
      return res.blob();
    }).then(function (b) {
      w.location = URL.createObjectURL(b);
    }).catch(function (e) { if (w) w.close(); k.showError(e); });
  }

  function section(a, k) {
    var h = k.h;
    return h('section', { class: 'letters', testid: 'letters' },
      h('h2', { i18n: 'letters.title' }),
      h('p', { class: 'help', i18n: 'letters.help' }),
      h('p', null, kinds(a).map(function (kind) {
        return [h('button', { type: 'button', testid: 'letter-kind-' + kind, i18n: 'letters.' + kind,
          onclick: function () { open(a, kind, k); } }), ' '];
      })));
  }

  window.QuanLetters = { section: section, kinds: kinds };
})();
