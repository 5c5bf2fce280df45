/* Settlement and a grant's tranches on an application's page (issue 14, "a confirmation for
 * every action that moves money, showing the amount").
 *
 * - Settlement (POST /v1/applications/{id}/settle, the reviewer's, as `quan settle`): the settled
 *   value replaces the contract's, the application is decided again on it, and the award can
 *   only go down, the difference returning to the pool. The form asks for the settled value and
 *   confirms first, showing the value, the contract's face value, the award it may lower and
 *   what was paid; the server computes the new award and refuses a value above the face value.
 * - A grant's tranches (the view's `tranches`: one a fiscal year, open, posted or voided), listed
 *   on its page; a milestone's confirmation names the tranche of the year it posts, with its
 *   amount, not the grant's total.
 *
 * - A rejection and a withdrawal release what is held for an open application back to the pool:
 *   each asks first, saying how much returns (its reservations still pending, summed in integer
 *   fen: the one sum this file makes) or that nothing is held (queued, waitlisted).
 *
 * app.js calls QuanSettle.section(app, kit) from its application view, QuanSettle.action(app,
 * kit) and confirmRelease from its actions panel, and QuanSettle.trancheOf / nextOpen for the
 * milestone form; the
 * strings are added to QUAN_I18N here, so that this file stands apart from the shared ones.
 * Money is otherwise the server's decimal text. */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'tr.title': 'Tranches of the grant',
    'tr.year': 'Fiscal year',
    'tr.amount': 'Amount (yuan)',
    'tr.state': 'State',
    'tr.state.open': 'reserved: posted when its milestone is recorded',
    'tr.state.posted': 'milestone recorded: awarded, payable',
    'tr.state.voided': 'released to the pool',
    'tr.none_open': 'The grant has no open tranche in {year}: nothing is posted.',
    'confirm.milestone_tranche': 'Record the {year} milestone of {id} and post its {year} tranche of {amount} yuan? Awarded so far: {awarded} yuan; left to pay: {remaining} yuan.',
    'action.settle': 'Settle',
    'action.settle_value': 'Settled value (yuan)',
    'action.settle_help': 'The approved or incurred value. The award is decided again on it and can only go down; the difference returns to the pool. A larger amount needs a new application.',
    'action.value_needed': 'Give the settled value.',
    'confirm.settle': 'Settle {id} at {value} yuan (contract face value {face} yuan)? The award of {awarded} yuan is decided again on it and can only go down, the difference returning to the pool. Paid so far: {paid} yuan.',
    'done.settle': 'Settled.',
    'confirm.reject_held': 'Reject {id}? Its reservation of {amount} yuan returns to the pool, and the waitlist is served.',
    'confirm.reject_none': 'Reject {id}? Nothing is held for it in the pool.',
    'confirm.withdraw_held': 'Withdraw {id}? Its reservation of {amount} yuan returns to the pool, and the waitlist is served.',
    'confirm.withdraw_none': 'Withdraw {id}? Nothing is held for it in the pool.'
  });
  Object.assign(I.zh, {
    'tr.title': '资助分期',
    'tr.year': '财政年度',
    'tr.amount': '金额（元）',
    'tr.state': '状态',
    'tr.state.open': '已预留：登记该年度里程碑后下达',
    'tr.state.posted': '已登记里程碑：已下达，可拨付',
    'tr.state.voided': '已释放回资金池',
    'tr.none_open': '该资助在 {year} 年度没有待下达的分期，无可下达。',
    'confirm.milestone_tranche': '登记 {id} 的 {year} 年度里程碑，并下达该年度一期 {amount} 元？已下达 {awarded} 元，待拨付 {remaining} 元。',
    'action.settle': '结算',
    'action.settle_value': '结算金额（元）',
    'action.settle_help': '核定或实际发生的金额。资助按该金额重新核定，只减不增，差额退回资金池；金额更大的须另行申请。',
    'action.value_needed': '请填写结算金额。',
    'confirm.settle': '按 {value} 元（合同金额 {face} 元）结算 {id}？资助 {awarded} 元将按该金额重新核定，只减不增，差额退回资金池。已拨付 {paid} 元。',
    'done.settle': '已结算。',
    'confirm.reject_held': '驳回 {id}？为其预留的 {amount} 元将退回资金池，并依次安排候补申请。',
    'confirm.reject_none': '驳回 {id}？资金池未为其预留资金。',
    'confirm.withdraw_held': '撤回 {id}？为其预留的 {amount} 元将退回资金池，并依次安排候补申请。',
    'confirm.withdraw_none': '撤回 {id}？资金池未为其预留资金。'
  });

  /* The tranche of fiscal year `year` of application a, or null. */
  function trancheOf(a, year) {
    var ts = a && a.tranches ? a.tranches : [];
    for (var i = 0; i < ts.length; i++) if (ts[i].year === year) return ts[i];
    return null;
  }

  /* The year of the earliest tranche still open (the next a milestone posts), or null. */
  function nextOpen(a) {
    var ts = a && a.tranches ? a.tranches : [];
    for (var i = 0; i < ts.length; i++) if (ts[i].state === 'open') return ts[i].year;
    return null;
  }

  /* The grant's tranches as a table; null for an application without any. */
  function section(a, k) {
    var h = k.h, T = k.T;
    if (!a.tranches || !a.tranches.length) return null;
    return h('section', { class: 'tranches', testid: 'tranches' },
      h('h2', { i18n: 'tr.title' }),
      k.table('tranche-table', 'tr.title', ['tr.year', 'tr.amount', 'tr.state'],
        a.tranches.map(function (tr) {
          return h('tr', { testid: 'tranche-' + tr.year, 'data-state': tr.state },
            h('td', { text: String(tr.year) }),
            h('td', { class: 'num' }, k.money(tr.amount, 'tranche-amount-' + tr.year)),
            h('td', null, T('tr.state.' + tr.state)));
        })));
  }

  /* The settle form of an awarded application that is not a grant, for a reviewer (the route's
   * role); null otherwise. kit: h, T, field, need, confirmMove, fmtMoney, post(btn, path, body,
   * doneKey, key), role. */
  function action(a, k) {
    var h = k.h, T = k.T;
    var ct = a.application && a.application.contract ? a.application.contract : {};
    if (k.role !== 'reviewer' || a.state !== 'awarded' || ct.kind === 'grant' ||
        (a.tranches && a.tranches.length)) return null;
    return h('form', { class: 'action', testid: 'settle-form', onsubmit: function (ev) {
      ev.preventDefault();
      var input = this.querySelector('#settle-value');
      if (!k.need(input, 'action.value_needed')) return;
      var btn = this.querySelector('button'), value = input.value.trim();
      k.confirmMove(btn, T('confirm.settle', { id: a.id, value: k.fmtMoney(value),
        face: k.fmtMoney(ct.value), awarded: k.fmtMoney(a.awarded), paid: k.fmtMoney(a.paid) }),
      value, function (key) {
        return k.post(btn, 'settle', { value: value }, 'done.settle', key);
      });
    } },
      h('h3', { i18n: 'action.settle' }),
      h('p', { class: 'help', i18n: 'action.settle_help' }),
      k.field('settle-value', 'action.settle_value', { placeholderKey: 'action.money_ph',
        testid: 'settle-value', inputmode: 'decimal' }),
      h('button', { type: 'submit', class: 'primary', id: 'settle', testid: 'settle',
        i18n: 'action.settle' }));
  }

  /* What is held in the pool for application a: the sum of its reservations still pending
   * (transfers reserve/..., neither posted nor voided), as the server's decimal text, summed in
   * integer fen; null when nothing is. (Jointly funded, each pool holds only its share.) */
  function held(a) {
    var xs = a.transfers || [], done = {}, sum = 0n, any = false;
    xs.forEach(function (x) { if (x.pending_id) done[x.pending_id] = true; });
    xs.forEach(function (x) {
      var m = /^(\d+)\.(\d{2})$/.exec(x.amount || '');
      if (x.kind !== 'pending' || !/^reserve\//.test(x.id) || done[x.id] || !m) return;
      sum += BigInt(m[1]) * 100n + BigInt(m[2]);
      any = true;
    });
    if (!any || sum === 0n) return null;
    return (sum / 100n) + '.' + String(sum % 100n).padStart(2, '0');
  }

  /* The confirmation of verb ('reject', 'withdraw') on open application a, after btn: what is
   * held for it returns to the pool, or nothing is held (queued, waitlisted). yes() sends it.
   * kit: T, confirmMove, fmtMoney. */
  function confirmRelease(a, verb, btn, k, yes) {
    var amount = held(a);
    return k.confirmMove(btn, k.T('confirm.' + verb + (amount ? '_held' : '_none'),
      { id: a.id, amount: k.fmtMoney(amount) }), amount || '0.00', function () { return yes(); });
  }

  window.QuanSettle = { trancheOf: trancheOf, nextOpen: nextOpen, section: section, action: action,
    confirmRelease: confirmRelease };
})();
