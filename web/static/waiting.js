/* Why an application waits, on its page: the order its measure serves the waitlist in (policy
 * key waitlist: strict, nothing overtakes the first in line; fit, whatever fits the pool's
 * available amount is reserved), its place, what it waits behind, and the server's own
 * explanation in the dashboard's language (GET /v1/applications/{id}, `waiting`). app.js calls
 * QuanWaiting.section(app, helpers) from its application view; the strings are added to
 * QUAN_I18N here, so that this file stands apart from the shared ones. */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'wait.title': 'Why it waits',
    'wait.order': 'Waitlist order',
    'wait.order.strict': 'strict arrival order: nothing overtakes the first in line',
    'wait.order.fit': 'whatever fits: applications that fit the pool are reserved, in arrival order',
    'wait.position': 'Place in line',
    'wait.ahead': 'Ahead of it',
    'wait.ahead_n': '{n} application(s)',
    'wait.head': 'First in line',
    'wait.head_requested': 'The first in line asks',
    'wait.requested': 'It asks',
    'wait.available': 'The pool has available',
    'wait.fits': 'Fits now',
    'wait.fits.true': 'yes: reserved the next time the waitlist is served',
    'wait.fits.false': 'no: it waits for money to return to the pool'
  });
  Object.assign(I.zh, {
    'wait.title': '候补原因',
    'wait.order': '候补安排方式',
    'wait.order.strict': '严格按受理先后：后序申请不得越过首位',
    'wait.order.fit': '按额度安排：依受理先后预留资金池额度足够的申请',
    'wait.position': '排队位次',
    'wait.ahead': '前序申请',
    'wait.ahead_n': '{n} 件',
    'wait.head': '首位申请',
    'wait.head_requested': '首位申请金额',
    'wait.requested': '本申请金额',
    'wait.available': '资金池可用',
    'wait.fits': '当前额度是否足够',
    'wait.fits.true': '是：下次安排候补时即予预留',
    'wait.fits.false': '否：待资金退回资金池后安排'
  });

  /* The section for a waitlisted application app (null otherwise); x holds app.js's helpers:
   * h, T, Z, dl, money. */
  function section(app, x) {
    var w = app && app.waiting;
    var fit;

    if (!w) return null;
    fit = w.order === 'fit';
    return x.h('section', { class: 'waiting', testid: 'waiting', 'data-order': w.order },
      x.h('h2', { i18n: 'wait.title' }),
      x.h('p', { class: 'why' }, x.Z(w, 'why', { testid: 'wait-why' })),
      x.dl([
        ['wait.order', x.T('wait.order.' + (fit ? 'fit' : 'strict'), null, { testid: 'wait-order' })],
        ['wait.position', x.h('span', { testid: 'wait-position', text: String(w.position) })],
        ['wait.ahead', [x.T('wait.ahead_n', { n: w.ahead }, { testid: 'wait-ahead' }), ' · ',
          x.money(w.ahead_amount, 'wait-ahead-amount'), ' ', x.T('unit.yuan')]],
        w.head ? ['wait.head', x.h('a', { href: '#/app/' + encodeURIComponent(w.head), testid: 'wait-head' },
          x.h('code', { text: w.head }))] : null,
        ['wait.head_requested', [x.money(w.head_requested, 'wait-head-requested'), ' ', x.T('unit.yuan')]],
        fit ? ['wait.requested', [x.money(w.requested, 'wait-requested'), ' ', x.T('unit.yuan')]] : null,
        ['wait.available', [x.money(w.available, 'wait-available'), ' ', x.T('unit.yuan')]],
        fit ? ['wait.fits', x.T('wait.fits.' + (w.fits ? 'true' : 'false'), null, { testid: 'wait-fits' })] : null
      ]));
  }

  window.QuanWaiting = { section: section };
}());
