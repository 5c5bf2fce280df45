/* quan dashboard: the auditor's desk (#/desk), for auditors and administrators.
 *
 * - The event log (GET /v1/audit/events): filters by kind, subject (an application id), user
 *   and dates, in pages keyed by the chain's seq (next_after), forwards and back.
 * - The three checks: chain verification (GET /v1/audit/verify), the ledger check
 *   (GET /v1/ledger/check) and replay (GET /v1/audit/replay). The server runs them one at a
 *   time off its request threads; while one runs another is 503 "busy" with Retry-After,
 *   which the panel says in words. A failed check names the discrepancy as the server does.
 *
 * Loaded before app.js, which calls the function below with its kit (app.js, "pages in files
 * of their own").
 */
(window.QUAN_EXT = window.QUAN_EXT || []).push(function (K) {
  'use strict';

  var h = K.h, T = K.T;
  var PAGE = 50; /* events a page, unless the address says ?limit= (1 to 500) */
  /* The actions the office writes to its chain, for the kind filter. */
  var ACTIONS = ['apply', 'import', 'reserve', 'serve', 'approve-first', 'approve', 'reject',
    'withdraw', 'expire', 'disburse', 'clawback', 'milestone', 'settle', 'round-close',
    'notice-open', 'object', 'uphold', 'dismiss', 'fund', 'policy', 'registry-import',
    'list-import', 'clock', 'user-add', 'user-change', 'user-password', 'user-remove',
    'user-token', 'sign-in', 'sign-out', 'sign-in-failed'];
  var FILTERS = ['kind', 'app', 'by', 'from', 'to'];

  K.nav(function (role) {
    return role === 'auditor' || role === 'administrator' ? ['desk', 'nav.desk'] : null;
  });

  /* The filters and the page as a query string for the API and for the address bar. */
  function query(f, after) {
    var q = new URLSearchParams();
    FILTERS.forEach(function (k) { if (f[k]) q.set(k, f[k]); });
    if (after) q.set('after', String(after));
    return q;
  }

  function detailText(d) {
    if (d === null || d === undefined) return '';
    return typeof d === 'string' ? d : JSON.stringify(d);
  }

  function eventRow(ev) {
    return h('tr', { testid: 'desk-event-' + ev.seq, 'data-action': ev.action },
      h('td', { class: 'num', text: String(ev.seq) }),
      h('td', null, K.timeEl(ev.at, true)),
      h('td', null, h('code', { text: ev.who })),
      h('td', null, K.V('act', ev.action)),
      h('td', null, h('code', { text: ev.subject })),
      h('td', { class: 'detail' }, h('code', { class: 'json', text: detailText(ev.detail) })));
  }

  /* One check's panel: a button, and the answer in words below it. */
  function checkPanel(id, run, say) {
    var out = h('div', { class: 'check-result', testid: 'desk-' + id + '-result', 'aria-live': 'polite' });
    var btn = h('button', { type: 'button', testid: 'desk-' + id, i18n: 'desk.run.' + id,
      onclick: function () {
        btn.disabled = true;
        out.removeAttribute('data-ok');
        out.replaceChildren(T('desk.running'));
        K.api('GET', run()).then(function (res) {
          out.dataset.ok = String(!!res.ok);
          out.replaceChildren.apply(out, say(res).filter(function (x) { return x !== null; }));
        }, function (err) {
          if (err && err.status === 503) {
            out.dataset.ok = 'busy';
            out.replaceChildren(T('desk.busy', { s: err.retryAfter || 2 }, { testid: 'desk-' + id + '-busy' }));
          } else {
            out.replaceChildren();
            K.showError(err);
          }
        }).then(function () { btn.disabled = false; });
      } });
    return h('div', { class: 'card check', testid: 'desk-' + id + '-panel' },
      h('h3', { i18n: 'desk.check.' + id }), h('p', { class: 'help', i18n: 'desk.help.' + id }), btn, out);
  }

  function lines(testid, list) {
    return h('ul', { class: 'problems', testid: testid },
      list.map(function (l) { return h('li', null, h('code', { text: l })); }));
  }

  function checks() {
    return h('section', { class: 'checks', testid: 'desk-checks' },
      h('h2', { i18n: 'desk.checks' }),
      h('div', { class: 'check-grid' },
        checkPanel('verify', function () { return '/v1/audit/verify'; }, function (r) {
          if (r.ok) return [T('desk.ok.verify', { events: r.events })];
          return [T('desk.bad.verify', { seq: r.bad_seq }), ' ',
            h('code', { testid: 'desk-verify-why', text: r.why })];
        }),
        checkPanel('ledger', function () { return '/v1/ledger/check'; }, function (r) {
          if (r.ok) return [T('desk.ok.ledger')];
          return [T('desk.bad.ledger', { n: r.problems.length }), lines('desk-ledger-problems', r.problems)];
        }),
        checkPanel('replay', function () { return '/v1/audit/replay?limit=100'; }, function (r) {
          if (r.ok) return [T('desk.ok.replay', { replayed: r.replayed })];
          return [T('desk.bad.replay', { differ: r.differ, replayed: r.replayed }),
            lines('desk-replay-problems', r.problems),
            r.cut ? T('desk.cut', { n: r.problems.length }) : null];
        })));
  }

  function viewDesk(seq, parts, params) {
    var f = {};
    FILTERS.forEach(function (k) { f[k] = params.get(k) || ''; });
    var after = parseInt(params.get('after') || '0', 10) || 0;
    var limit = Math.min(500, Math.max(1, parseInt(params.get('limit') || String(PAGE), 10) || PAGE));
    /* The pages seen before this one, to go back: carried in the address (?back=a,b). */
    var back = (params.get('back') || '').split(',').filter(Boolean).map(Number);

    var q = query(f, after);
    q.set('limit', String(limit));
    return K.api('GET', '/v1/audit/events?' + q.toString()).then(function (res) {
      function go(newAfter, newBack) {
        var q = query(f, newAfter);
        if (newBack.length) q.set('back', newBack.join(','));
        if (limit !== PAGE) q.set('limit', String(limit));
        var s = q.toString();
        location.hash = '#/desk' + (s ? '?' + s : '');
      }
      function input(k, type, attrs) {
        return h('div', { class: 'field' }, h('label', { for: 'desk-f-' + k, i18n: 'desk.f.' + k }),
          h('input', Object.assign({ id: 'desk-f-' + k, testid: 'desk-f-' + k, type: type, value: f[k],
            spellcheck: 'false', autocomplete: 'off' }, attrs || {})));
      }
      var kind = h('select', { id: 'desk-f-kind', testid: 'desk-f-kind' },
        h('option', { value: '', i18n: 'desk.f.any' }),
        ACTIONS.map(function (a) { return h('option', { value: a, tv: 'act|' + a }); }));
      kind.value = f.kind;
      if (f.kind && kind.value !== f.kind) {
        kind.appendChild(h('option', { value: f.kind, text: f.kind }));
        kind.value = f.kind;
      }
      var form = h('form', { class: 'card desk-filters', testid: 'desk-filters', novalidate: true,
        onsubmit: function (ev) {
          ev.preventDefault();
          f = { kind: kind.value };
          ['app', 'by', 'from', 'to'].forEach(function (k) {
            f[k] = document.getElementById('desk-f-' + k).value.trim();
          });
          go(0, []);
        } },
        h('div', { class: 'grid' },
          h('div', { class: 'field' }, h('label', { for: 'desk-f-kind', i18n: 'desk.f.kind' }), kind),
          input('app', 'text', { maxlength: '63' }),
          input('by', 'text', { maxlength: '63' }),
          input('from', 'date'),
          input('to', 'date')),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', testid: 'desk-filter', i18n: 'desk.filter' }),
          h('button', { type: 'button', testid: 'desk-clear', i18n: 'desk.clear',
            onclick: function () { f = {}; go(0, []); } })));

      var rows = res.events.map(eventRow);
      var pager = h('div', { class: 'actions pager' },
        after ? h('button', { type: 'button', testid: 'desk-first', i18n: 'desk.first',
          onclick: function () { go(0, []); } }) : null,
        back.length || after ? h('button', { type: 'button', testid: 'desk-prev', i18n: 'desk.prev',
          onclick: function () { go(back.length ? back[back.length - 1] : 0, back.slice(0, -1)); } }) : null,
        res.next_after !== null ? h('button', { type: 'button', testid: 'desk-next', i18n: 'desk.next',
          onclick: function () { go(res.next_after, after ? back.concat([after]) : back); } }) : null);

      var log = h('section', { class: 'log', testid: 'desk-log' },
        h('h2', { i18n: 'desk.log' }),
        form,
        rows.length
          ? K.table('desk-events', 'desk.log', ['desk.col.seq', 'desk.col.at', 'desk.col.who',
            'desk.col.action', 'desk.col.subject', 'desk.col.detail'], rows)
          : h('p', { class: 'empty', testid: 'desk-empty', i18n: 'desk.none' }),
        pager);

      K.setView(seq, 'desk', h('section', { class: 'desk' },
        h('h1', { i18n: 'desk.title' }),
        h('p', { class: 'help', i18n: 'desk.help' }),
        checks(), log));
    });
  }

  K.view('desk', viewDesk);
});
