/* quan dashboard: the finance officer's page (payment batches, paying them, the bank statement,
 * the exports) and the pools page's cumulative totals. app.js calls QUAN_FINANCE.view and
 * QUAN_FINANCE.totals with its helpers (ui); nothing here runs before it does.
 *
 * As in app.js, money is never computed here: the server's decimal strings are shown as sent.
 * Paying a batch asks for a confirmation that shows the amount, and sends an Idempotency-Key
 * made once per confirmation, so a double click or a retried request pays each voucher once.
 */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'nav.finance': 'Finance',
    'col.remaining': 'Left to pay',
    'totals.title': 'Cumulative totals',
    'totals.help': 'Money moved since each pool opened, in yuan: awarded (net of awards reversed or reduced), paid, and recovered. The table above shows balances: what each account holds now.',
    'totals.awarded': 'Awarded (total)',
    'totals.paid': 'Paid (total)',
    'totals.recovered': 'Recovered (total)',
    'fin.title': 'Finance',
    'fin.help': 'Payment batches: each payment has a voucher number, is paid once however often it is sent, and is settled by the bank statement.',
    'fin.batches': 'Payment batches',
    'fin.none': 'No batch yet.',
    'fin.batch': 'Batch',
    'fin.count': 'Payments',
    'fin.planned': 'Planned',
    'fin.total': 'Total',
    'fin.paid': 'Paid',
    'fin.settled': 'Settled',
    'fin.new': 'New batch',
    'fin.program': 'Program (empty: all)',
    'fin.ids': 'Applications (one id a line; empty: every payable award)',
    'fin.accounts': 'Bank accounts (one ID=ACCOUNT a line; else the application\'s own)',
    'fin.make': 'Make the batch',
    'fin.made': 'Batch {batch}: {count} payments.',
    'fin.skipped': 'Left out',
    'fin.voucher': 'Voucher',
    'fin.application': 'Application',
    'fin.payee': 'Payee',
    'fin.account': 'Account',
    'fin.amount': 'Amount',
    'fin.state': 'State',
    'fin.bank_ref': 'Bank reference',
    'fin.pay': 'Pay this batch',
    'fin.confirm': 'Pay {amount} yuan to the planned payments of {batch}?',
    'fin.confirm_yes': 'Confirm payment',
    'fin.cancel': 'Cancel',
    'fin.paid_now': 'Paid {amount} yuan now.',
    'fin.refused': 'Refused',
    'fin.export_csv': 'Export payments (CSV)',
    'fin.export_xlsx': 'Export payments (XLSX)',
    'fin.export_awards': 'Export awards (XLSX)',
    'fin.reconcile': 'Bank statement',
    'fin.reconcile_help': 'CSV with the header date,amount,payee_account,payee_name,reference. A line settles the paid payment whose voucher or bank reference is its reference, when the amount is equal too; everything else is listed.',
    'fin.statement': 'Statement (CSV)',
    'fin.reconcile_go': 'Reconcile',
    'fin.matched': 'Matched and settled',
    'fin.unmatched_lines': 'Lines not matched',
    'fin.unmatched_payments': 'Paid payments not on a statement',
    'fin.line': 'Line',
    'fin.reference': 'Reference',
    'fin.why': 'Why',
    'fin.date': 'Date',
    'fin.back': 'All batches',
    'why.no_payment': 'no payment has this reference',
    'why.other_amount': 'the reference is a payment of another amount: not matched',
    'why.not_paid': 'the payment with this reference has not been paid',
    'why.settled_already': 'the payment with this reference is settled already',
    'pstate.planned': 'planned',
    'pstate.paid': 'paid',
    'pstate.settled': 'settled'
  });
  Object.assign(I.zh, {
    'nav.finance': '财务',
    'col.remaining': '待拨付',
    'totals.title': '累计数',
    'totals.help': '各资金池设立以来的资金发生额（单位：元）：累计资助（已扣除撤销或核减的资助）、累计拨付、累计追回。上表为余额，即各账户当前所存金额。',
    'totals.awarded': '累计资助',
    'totals.paid': '累计拨付',
    'totals.recovered': '累计追回',
    'fin.title': '财务',
    'fin.help': '支付批次：每笔付款有凭证号，无论提交几次只支付一次，并以银行对账单核销。',
    'fin.batches': '支付批次',
    'fin.none': '尚无批次。',
    'fin.batch': '批次',
    'fin.count': '笔数',
    'fin.planned': '待支付',
    'fin.total': '合计',
    'fin.paid': '已支付',
    'fin.settled': '已核销',
    'fin.new': '新建批次',
    'fin.program': '项目（留空：全部）',
    'fin.ids': '申请编号（每行一个；留空：全部可支付的资助）',
    'fin.accounts': '银行账号（每行一个 编号=账号；否则用申请中的账号）',
    'fin.make': '生成批次',
    'fin.made': '批次 {batch}：{count} 笔付款。',
    'fin.skipped': '未纳入',
    'fin.voucher': '凭证号',
    'fin.application': '申请',
    'fin.payee': '收款人',
    'fin.account': '账号',
    'fin.amount': '金额',
    'fin.state': '状态',
    'fin.bank_ref': '银行流水号',
    'fin.pay': '支付本批次',
    'fin.confirm': '向 {batch} 中待支付的款项支付 {amount} 元？',
    'fin.confirm_yes': '确认支付',
    'fin.cancel': '取消',
    'fin.paid_now': '本次已支付 {amount} 元。',
    'fin.refused': '被拒绝',
    'fin.export_csv': '导出付款（CSV）',
    'fin.export_xlsx': '导出付款（XLSX）',
    'fin.export_awards': '导出资助（XLSX）',
    'fin.reconcile': '银行对账单',
    'fin.reconcile_help': 'CSV 表头为 date,amount,payee_account,payee_name,reference。某行的 reference 等于已支付款项的凭证号或银行流水号且金额相同时核销该款项；其余一律列出。',
    'fin.statement': '对账单（CSV）',
    'fin.reconcile_go': '对账',
    'fin.matched': '已匹配并核销',
    'fin.unmatched_lines': '未匹配的行',
    'fin.unmatched_payments': '已支付但未见于对账单的款项',
    'fin.line': '行',
    'fin.reference': '参考号',
    'fin.why': '原因',
    'fin.date': '日期',
    'fin.back': '全部批次',
    'why.no_payment': '没有款项使用此参考号',
    'why.other_amount': '此参考号对应的款项金额不同，未予匹配',
    'why.not_paid': '此参考号对应的款项尚未支付',
    'why.settled_already': '此参考号对应的款项已核销',
    'pstate.planned': '待支付',
    'pstate.paid': '已支付',
    'pstate.settled': '已核销'
  });

  function lines(text) {
    return String(text || '').split(/\r?\n/).map(function (l) { return l.trim(); })
      .filter(function (l) { return l; });
  }

  function canWrite(ui) { return ui.role === 'finance'; }

  /* Download an export through fetch (a bearer token is not sent by a plain link). */
  function download(ui, path, name) {
    var headers = ui.token ? { Authorization: 'Bearer ' + ui.token } : {};
    return fetch(path, { headers: headers, credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (j) {
          throw { status: res.status, api: j.error || { code: 'http_' + res.status, message: res.statusText } };
        });
      }
      return res.blob();
    }).then(function (blob) {
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (e) { ui.showError(e); });
  }

  /* ---------- the pools page: cumulative totals beside the balances ---------- */

  function totals(ui, rep) {
    var h = ui.h, money = ui.money;
    var rows = (rep.pools || []).map(function (p) {
      var k = p.program + '-' + p.pool + '-' + p.year, c = p.totals || {};
      return h('tr', { testid: 'totals-row-' + k },
        h('td', null, h('code', { text: p.program })),
        h('th', { scope: 'row' }, ui.V('pool', p.pool)),
        h('td', { class: 'num', text: String(p.year) }),
        h('td', { class: 'num' }, money(c.awarded, 'totals-awarded-' + k)),
        h('td', { class: 'num' }, money(c.paid, 'totals-paid-' + k)),
        h('td', { class: 'num' }, money(c.recovered, 'totals-recovered-' + k)));
    });
    var all = (rep.total && rep.total.totals) || {};
    rows.push(h('tr', { testid: 'totals-row-all', class: 'total' },
      h('td', null), h('th', { scope: 'row', i18n: 'fin.total' }), h('td'),
      h('td', { class: 'num' }, money(all.awarded, 'totals-awarded-all')),
      h('td', { class: 'num' }, money(all.paid, 'totals-paid-all')),
      h('td', { class: 'num' }, money(all.recovered, 'totals-recovered-all'))));
    return h('section', { testid: 'totals' },
      h('h2', { i18n: 'totals.title' }),
      h('p', { class: 'help', i18n: 'totals.help' }),
      ui.table('totals-table', 'totals.title', ['col.program', 'col.pool', 'col.year',
        'totals.awarded', 'totals.paid', 'totals.recovered'], rows));
  }

  /* ---------- the finance page ---------- */

  function paymentRows(ui, pays) {
    var h = ui.h;
    return (pays || []).map(function (p) {
      return h('tr', { testid: 'payment-row-' + p.voucher },
        h('th', { scope: 'row' }, h('code', { text: p.voucher })),
        h('td', null, h('a', { href: '#/app/' + ui.enc(p.application), text: p.application })),
        h('td', { text: p.payee_name || '' }),
        h('td', null, h('code', { text: p.payee_account || '' })),
        h('td', { class: 'num' }, ui.money(p.amount, 'payment-amount-' + p.voucher)),
        h('td', { testid: 'payment-state-' + p.voucher, 'data-state': p.state, tv: 'pstate|' + p.state }),
        h('td', null, h('code', { text: p.bank_ref || '' })));
    });
  }

  function paymentsTable(ui, testid, pays) {
    return ui.table(testid, 'fin.batches', ['fin.voucher', 'fin.application', 'fin.payee',
      'fin.account', 'fin.amount', 'fin.state', 'fin.bank_ref'], paymentRows(ui, pays));
  }

  function newBatchForm(ui) {
    var h = ui.h;
    var program = h('input', { id: 'fin-program', testid: 'fin-program', type: 'text' });
    var ids = h('textarea', { id: 'fin-ids', testid: 'fin-ids', rows: 3 });
    var accounts = h('textarea', { id: 'fin-accounts', testid: 'fin-accounts', rows: 3 });
    var key = ui.newKey('batch');
    return h('form', { testid: 'fin-new', class: 'card', onsubmit: function (ev) {
      ev.preventDefault();
      var acc = {};
      lines(accounts.value).forEach(function (l) {
        var i = l.indexOf('=');
        if (i > 0) acc[l.slice(0, i).trim()] = l.slice(i + 1).trim();
      });
      var body = { ids: lines(ids.value), accounts: acc };
      if (program.value.trim()) body.program = program.value.trim();
      ui.api('POST', '/v1/batches', body, { 'Idempotency-Key': key }).then(function (b) {
        location.hash = '#/finance/' + ui.enc(b.batch);
        setTimeout(function () { ui.showNotice('fin.made', { batch: b.batch, count: b.count }); }, 0);
      }, function (e) { ui.showError(e); });
    } },
    h('h2', { i18n: 'fin.new' }),
    h('div', { class: 'field' }, h('label', { for: 'fin-program', i18n: 'fin.program' }), program),
    h('div', { class: 'field' }, h('label', { for: 'fin-ids', i18n: 'fin.ids' }), ids),
    h('div', { class: 'field' }, h('label', { for: 'fin-accounts', i18n: 'fin.accounts' }), accounts),
    h('button', { type: 'submit', testid: 'fin-make', i18n: 'fin.make' }));
  }

  function reconcileForm(ui) {
    var h = ui.h;
    var text = h('textarea', { id: 'fin-statement', testid: 'fin-statement', rows: 5 });
    var out = h('div', { testid: 'fin-reconcile-result' });
    var listRows = function (items, kind) {
      return items.map(function (m) {
        return h('tr', { testid: kind + '-' + (m.line || m.voucher) },
          h('td', { class: 'num', text: m.line ? String(m.line) : '' }),
          h('td', null, h('code', { text: m.voucher || m.reference || '' })),
          h('td', { class: 'num' }, ui.money(m.amount)),
          h('td', { text: m.date || m.settled_on || '' }),
          h('td', { testid: 'why-' + (m.line || m.voucher), tv: m.reason ? 'why|' + m.reason : null,
            text: m.why || '' }));
      });
    };
    var cols = ['fin.line', 'fin.reference', 'fin.amount', 'fin.date', 'fin.why'];
    return h('form', { testid: 'fin-reconcile', class: 'card', onsubmit: function (ev) {
      ev.preventDefault();
      ui.api('POST', '/v1/reconcile', { statement: text.value }).then(function (r) {
        out.replaceChildren(
          h('h3', { i18n: 'fin.matched' }),
          ui.table('fin-matched', 'fin.matched', cols, listRows(r.matched || [], 'matched')),
          h('h3', { i18n: 'fin.unmatched_lines' }),
          ui.table('fin-unmatched-lines', 'fin.unmatched_lines', cols,
            listRows(r.unmatched_lines || [], 'unmatched-line')),
          h('h3', { i18n: 'fin.unmatched_payments' }),
          ui.table('fin-unmatched-payments', 'fin.unmatched_payments', cols,
            listRows(r.unmatched_payments || [], 'unmatched-payment')));
      }, function (e) { ui.showError(e); });
    } },
    h('h2', { i18n: 'fin.reconcile' }),
    h('p', { class: 'help', i18n: 'fin.reconcile_help' }),
    h('div', { class: 'field' }, h('label', { for: 'fin-statement', i18n: 'fin.statement' }), text),
    h('button', { type: 'submit', testid: 'fin-reconcile-go', i18n: 'fin.reconcile_go' }),
    out);
  }

  function exportsBar(ui, batch) {
    var h = ui.h;
    var q = batch ? '&batch=' + ui.enc(batch) : '';
    return h('p', { class: 'actions' },
      h('button', { type: 'button', testid: 'fin-export-csv', i18n: 'fin.export_csv', onclick: function () {
        download(ui, '/v1/exports/payments?format=csv' + q, (batch || 'payments') + '.csv');
      } }), ' ',
      h('button', { type: 'button', testid: 'fin-export-xlsx', i18n: 'fin.export_xlsx', onclick: function () {
        download(ui, '/v1/exports/payments?format=xlsx' + q, (batch || 'payments') + '.xlsx');
      } }), ' ',
      batch ? null : h('button', { type: 'button', testid: 'fin-export-awards', i18n: 'fin.export_awards',
        onclick: function () { download(ui, '/v1/exports/awards?format=xlsx', 'awards.xlsx'); } }));
  }

  function viewList(ui, seq) {
    var h = ui.h;
    return ui.api('GET', '/v1/batches').then(function (r) {
      var rows = (r.batches || []).map(function (b) {
        return h('tr', { testid: 'batch-row-' + b.batch },
          h('th', { scope: 'row' }, h('a', { href: '#/finance/' + ui.enc(b.batch), testid: 'batch-link-' + b.batch,
            text: b.batch })),
          h('td', null, h('code', { text: b.program || '' })),
          h('td', { class: 'num', text: String(b.count) }),
          h('td', { class: 'num', testid: 'batch-planned-' + b.batch, text: String(b.planned) }),
          h('td', { class: 'num' }, ui.money(b.total)),
          h('td', { class: 'num' }, ui.money(b.paid)),
          h('td', { class: 'num' }, ui.money(b.settled)));
      });
      ui.setView(seq, 'finance', h('section', null,
        h('h1', { i18n: 'fin.title' }),
        h('p', { class: 'help', i18n: 'fin.help' }),
        h('h2', { i18n: 'fin.batches' }),
        rows.length ? ui.table('batches-table', 'fin.batches', ['fin.batch', 'col.program', 'fin.count',
          'fin.planned', 'fin.total', 'fin.paid', 'fin.settled'], rows) : h('p', { i18n: 'fin.none' }),
        exportsBar(ui, null),
        canWrite(ui) ? newBatchForm(ui) : null,
        canWrite(ui) ? reconcileForm(ui) : null));
    });
  }

  /* The pay button, then a confirmation that shows the amount; one key per confirmation. */
  function payPanel(ui, b, planned) {
    var h = ui.h;
    var box = h('div', { class: 'confirm', testid: 'fin-pay-box' });
    var ask = function () {
      var key = ui.newKey('pay');
      box.replaceChildren(
        h('p', { testid: 'fin-confirm-text' }, ui.T('fin.confirm', { amount: planned, batch: b.batch })),
        h('button', { type: 'button', testid: 'fin-confirm', i18n: 'fin.confirm_yes', onclick: function (ev) {
          ev.target.disabled = true;
          ui.api('POST', '/v1/batches/' + ui.enc(b.batch) + '/pay', {}, { 'Idempotency-Key': key }).then(function (r) {
            var refused = r.refused || [];
            location.hash = '#/finance/' + ui.enc(b.batch) + '?paid=' + ui.enc(r.total_paid) +
              (refused.length ? '&refused=' + refused.length : '');
          }, function (e) { ev.target.disabled = false; ui.showError(e); });
        } }), ' ',
        h('button', { type: 'button', testid: 'fin-cancel', i18n: 'fin.cancel', onclick: reset }));
    };
    var reset = function () {
      box.replaceChildren(h('button', { type: 'button', testid: 'fin-pay', i18n: 'fin.pay', onclick: ask }));
    };
    reset();
    return box;
  }

  function viewBatch(ui, seq, id) {
    var h = ui.h;
    return ui.api('GET', '/v1/batches/' + ui.enc(id)).then(function (b) {
      var planned = (b.payments || []).filter(function (p) { return p.state === 'planned'; });
      /* Never a sum computed here: the batch's total (the server's) when nothing of it is paid
       * yet, else the planned payments' own amounts, one by one. */
      var amount = planned.length === (b.payments || []).length ? b.total
        : planned.map(function (p) { return p.amount; }).join(' + ');
      var params = new URLSearchParams(location.hash.split('?')[1] || '');
      ui.setView(seq, 'finance-batch', h('section', null,
        h('h1', null, ui.T('fin.batch'), ' ', h('code', { testid: 'batch-id', text: b.batch })),
        h('p', null, h('a', { href: '#/finance', i18n: 'fin.back' })),
        paymentsTable(ui, 'payments-table', b.payments),
        h('p', null, ui.T('fin.total'), ': ', ui.money(b.total, 'batch-total')),
        canWrite(ui) && planned.length ? payPanel(ui, b, amount) : null,
        exportsBar(ui, b.batch)));
      if (params.get('paid')) ui.showNotice('fin.paid_now', { amount: params.get('paid') });
    });
  }

  function view(ui, seq, parts) {
    if (parts.length > 1) return viewBatch(ui, seq, parts[1]);
    return viewList(ui, seq);
  }

  window.QUAN_FINANCE = { view: view, totals: totals };
})();
