/* The public notice (公示) pages of the dashboard: the notices, one notice
 * with its awards, an objection lodged, the notice closed, its exports,
 * and an applicant's letter to print. app.js calls these through
 * window.QUAN_PAGES with the helpers it lends (X below). */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'nav.notices': 'Public notices',
    'notices.title': 'Public notices',
    'notices.none': 'No notice has been opened.',
    'notices.open': 'Open a notice',
    'notices.program': 'Program',
    'notices.measure': 'Measure (optional)',
    'notices.submit': 'Open a notice over the awards waiting for one',
    'notices.opened': 'Notice {id} opened: it runs to {ends}.',
    'notice.id': 'Notice',
    'notice.runs': 'Runs',
    'notice.days': 'Working days',
    'notice.closed': 'Closed',
    'notice.close': 'Close the notice',
    'notice.closed_ok': 'Notice {id} closed: {n} award(s) may be paid.',
    'notice.export': 'Export',
    'notice.awards': 'Awards posted',
    'notice.firm': 'Firm',
    'notice.amount': 'Amount',
    'notice.outcome': 'Outcome',
    'notice.why': 'Reasons for an objection',
    'notice.object': 'Lodge an objection',
    'notice.objected': 'Objection to {id} lodged: the award is held.',
    'notice.letter': 'Print the award letter',
    'notice.decide_why': 'The reviewer\'s reasons (optional)',
    'notice.uphold': 'Uphold the objection',
    'notice.dismiss': 'Dismiss the objection',
    'notice.upheld': 'Objection to {id} upheld: the award is reversed to the pool.',
    'notice.dismissed': 'Objection to {id} dismissed: the award stands.'
  });
  Object.assign(I.zh, {
    'nav.notices': '公示',
    'notices.title': '公示',
    'notices.none': '尚未发布公示。',
    'notices.open': '发布公示',
    'notices.program': '项目',
    'notices.measure': '支持措施（可不填）',
    'notices.submit': '对待公示的拟资助项目发布公示',
    'notices.opened': '公示 {id} 已发布，至 {ends} 止。',
    'notice.id': '公示',
    'notice.runs': '公示期',
    'notice.days': '工作日',
    'notice.closed': '已结束',
    'notice.close': '结束公示',
    'notice.closed_ok': '公示 {id} 已结束：{n} 项资助可以拨付。',
    'notice.export': '导出',
    'notice.awards': '公示名单',
    'notice.firm': '申请单位',
    'notice.amount': '拟资助金额',
    'notice.outcome': '状态',
    'notice.why': '异议理由',
    'notice.object': '提出异议',
    'notice.objected': '已对 {id} 提出异议：该资助暂缓拨付。',
    'notice.letter': '打印资助决定通知书',
    'notice.decide_why': '审核意见（可不填）',
    'notice.uphold': '异议成立',
    'notice.dismiss': '异议不成立',
    'notice.upheld': '对 {id} 的异议成立：该资助已退回资金池。',
    'notice.dismissed': '对 {id} 的异议不成立：该资助维持不变。'
  });

  /* GET path as bytes (an export, a letter) with the signed-in credentials. */
  function fetchRaw(X, path) {
    var headers = {};
    if (X.token()) headers.Authorization = 'Bearer ' + X.token();
    return fetch(path, { headers: headers, credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) {
        return res.json().then(function (b) {
          var e = new Error(b && b.error ? b.error.message : res.statusText);
          e.status = res.status;
          e.api = b && b.error;
          throw e;
        });
      }
      return res.blob();
    });
  }

  function viewNotices(X, seq) {
    var h = X.h;
    return Promise.all([X.api('GET', '/v1/notices'), X.api('GET', '/v1/programs')]).then(function (r) {
      var list = r[0];
      var programs = (r[1].programs || r[1] || []).map(function (p) { return p.program || p.id || p; });
      var admin = X.me().role === 'administrator';
      var rows = list.map(function (n) {
        return h('tr', { testid: 'notice-row-' + n.id },
          h('td', null, h('a', { href: '#/notices/' + X.enc(n.id), testid: 'notice-link-' + n.id, text: n.id })),
          h('td', { text: n.program }),
          h('td', { text: n.opened_on + ' – ' + n.ends_on }),
          h('td', { text: String(n.working_days) }),
          h('td', null, X.T(n.closed ? 'yes' : 'no')));
      });
      var prog = h('select', { testid: 'notice-program' }, programs.map(function (p) {
        return h('option', { value: p, text: p });
      }));
      var measure = h('input', { testid: 'notice-measure', type: 'text' });
      var form = admin ? h('form', {
        class: 'card', testid: 'notice-open-form',
        onsubmit: function (ev) {
          ev.preventDefault();
          var body = { program: prog.value };
          if (measure.value.trim()) body.measure = measure.value.trim();
          X.api('POST', '/v1/notices', body).then(function (res) {
            location.hash = '#/notices/' + X.enc(res.id);
            setTimeout(function () { X.showNotice('notices.opened', { id: res.id, ends: res.ends_on }); }, 0);
          }).catch(X.showError);
        }
      }, h('h2', { i18n: 'notices.open' }),
      h('label', null, X.T('notices.program'), ' ', prog), ' ',
      h('label', null, X.T('notices.measure'), ' ', measure), ' ',
      h('button', { type: 'submit', testid: 'notice-open', i18n: 'notices.submit' })) : null;
      X.setView(seq, 'notices', h('section', null,
        h('h1', { i18n: 'notices.title' }),
        form,
        list.length ? X.table('notices-table', null,
          ['notice.id', 'notices.program', 'notice.runs', 'notice.days', 'notice.closed'], rows)
          : h('p', { i18n: 'notices.none', testid: 'notices-none' })));
    });
  }

  function viewNotice(X, seq, id) {
    var h = X.h;
    return X.api('GET', '/v1/notices/' + X.enc(id)).then(function (n) {
      var role = X.me().role;
      var rows = n.awards.map(function (a) {
        var why = h('input', { type: 'text', testid: 'object-why-' + a.id, ariaLabelKey: 'notice.why' });
        var object = (role === 'administrator' || role === 'reviewer') && !n.closed
          ? h('form', { class: 'inline', onsubmit: function (ev) {
            ev.preventDefault();
            X.api('POST', '/v1/applications/' + X.enc(a.id) + '/objections', { why: why.value })
              .then(function () {
                return viewNotice(X, seq, id).then(function () {
                  X.showNotice('notice.objected', { id: a.id });
                });
              }).catch(X.showError);
          } }, why, ' ', h('button', { type: 'submit', testid: 'object-' + a.id, i18n: 'notice.object' }))
          : null;
        /* An open objection (objection_open): a reviewer upholds it (the award returns to the
         * pool) or dismisses it, each after a confirmation that shows the award. */
        var held = role === 'reviewer' && a.objection_open === true;
        var decideWhy = held ? h('input', { type: 'text', testid: 'decide-why-' + a.id, ariaLabelKey: 'notice.decide_why' }) : null;
        function decide(outcome, btn) {
          X.confirmMove(btn, X.T(outcome === 'upheld' ? 'confirm.uphold' : 'confirm.dismiss',
            { id: a.id, amount: X.fmtMoney(a.amount) }), a.amount, function (key) {
            var body = { outcome: outcome };
            if (decideWhy.value.trim()) body.why = decideWhy.value.trim();
            return X.api('POST', '/v1/applications/' + X.enc(a.id) + '/objections/decision', body,
              { 'Idempotency-Key': key }).then(function () {
              return viewNotice(X, seq, id).then(function () {
                X.showNotice(outcome === 'upheld' ? 'notice.upheld' : 'notice.dismissed', { id: a.id });
              });
            });
          });
        }
        var decideForm = held ? h('span', { class: 'inline', testid: 'decide-' + a.id }, decideWhy, ' ',
          h('button', { type: 'button', class: 'danger', testid: 'uphold-' + a.id, i18n: 'notice.uphold',
            onclick: function (ev) { decide('upheld', ev.target); } }), ' ',
          h('button', { type: 'button', testid: 'dismiss-' + a.id, i18n: 'notice.dismiss',
            onclick: function (ev) { decide('dismissed', ev.target); } })) : null;
        var letter = h('button', { type: 'button', testid: 'letter-' + a.id, i18n: 'notice.letter',
          onclick: function () {
            var w = window.open('', '_blank');
            fetchRaw(X, '/v1/applications/' + X.enc(a.id) + '/letter?kind=award').then(function (b) {
              w.location = URL.createObjectURL(b);
            }).catch(function (e) { if (w) w.close(); X.showError(e); });
          } });
        return h('tr', { testid: 'award-' + a.id },
          h('td', { text: a.id }),
          h('td', { text: a.name }),
          h('td', { text: a.uscc }),
          h('td', { text: a.measure }),
          h('td', null, X.money(a.amount, 'award-amount-' + a.id)),
          h('td', { testid: 'award-outcome-' + a.id, text: a.outcome }),
          h('td', null, held ? decideForm : object, ' ', a.outcome.indexOf('不予') < 0 ? letter : null));
      });
      var exports = ['csv', 'xlsx', 'html'].map(function (f) {
        return h('button', { type: 'button', testid: 'export-' + f, text: f.toUpperCase(),
          onclick: function () {
            fetchRaw(X, '/v1/notices/' + X.enc(id) + '/export?format=' + f).then(function (b) {
              var a = h('a', { href: URL.createObjectURL(b), download: id + '.' + f });
              document.body.appendChild(a);
              a.click();
              a.remove();
            }).catch(X.showError);
          } });
      });
      var close = role === 'administrator' && !n.closed
        ? h('button', { type: 'button', testid: 'notice-close', i18n: 'notice.close',
          onclick: function (ev) {
            ev.target.disabled = true;
            X.api('POST', '/v1/notices/' + X.enc(id) + '/close').then(function (res) {
              return viewNotice(X, seq, id).then(function () {
                X.showNotice('notice.closed_ok', { id: res.id, n: res.payable });
              });
            }).catch(function (e) { ev.target.disabled = false; X.showError(e); });
          } })
        : null;
      X.setView(seq, 'notice', h('section', null,
        h('p', { class: 'crumbs' }, h('a', { href: '#/notices', i18n: 'notices.title' })),
        h('h1', { testid: 'notice-id', text: n.id }),
        h('p', null, X.T('notice.runs'), ': ', h('span', { testid: 'notice-runs', text: n.opened_on + ' – ' + n.ends_on }),
          ' (', String(n.working_days), ' ', X.T('notice.days'), ') · ', X.T('notice.closed'), ': ',
          h('span', { testid: 'notice-closed', 'data-closed': String(n.closed) }, X.T(n.closed ? 'yes' : 'no'))),
        h('p', null, X.T('notice.export'), ': ', exports, ' ', close),
        h('h2', { i18n: 'notice.awards' }),
        X.table('notice-awards', null,
          ['col.id', 'notice.firm', 'col.uscc', 'col.measure', 'notice.amount', 'notice.outcome', ''], rows)));
    });
  }

  window.QUAN_PAGES = {
    nav: [['notices', 'nav.notices', ['administrator', 'reviewer', 'finance', 'auditor']]],
    views: {
      notices: function (X, seq, parts) {
        return parts[1] ? viewNotice(X, seq, parts[1]) : viewNotices(X, seq);
      }
    }
  };
})();
