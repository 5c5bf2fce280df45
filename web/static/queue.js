/* quan dashboard: the review queue that can be worked (#/queue), for the office's staff, and the
 * words of the confirmations every action that moves money asks for (app.js's confirmMove).
 *
 * - Search, filters and sort are the server's (GET /v1/applications with q or uscc_prefix,
 *   measure, state, flag, amount_min/amount_max in yuan, received_from/received_to, sort): the
 *   page sends what the form says and shows what comes back. One search box: text that is all
 *   digits and capital letters with a digit in it, up to 18, is a USCC prefix; anything else is
 *   a firm's name.
 * - Oldest first by default (first come, first served), in pages of 50 (?limit= in the address,
 *   1 to 1000) keyed by the server's opaque cursor (next_after, sent back as after).
 * - A reviewer ticks reserved applications and approves them at once (POST
 *   /v1/applications/approve) after a confirmation that shows how many and their total; the
 *   answer for each id (approved, waiting for a second approver, refused and why) is shown
 *   above the list.
 * - An applicant keeps app.js's own list of its applications.
 *
 * Money: the one sum the dashboard makes is that total, in integer fen (BigInt) from the
 * server's decimal strings, never in floating point; the approvals themselves are the server's.
 */
(window.QUAN_EXT = window.QUAN_EXT || []).push(function (K) {
  'use strict';

  var h = K.h, T = K.T;
  var PAGE = 50;
  var STATES = ['reserved', 'waitlisted', 'queued', 'awarded', 'ineligible', 'rejected', 'withdrawn', 'expired'];
  var SORTS = ['received', '-received', 'amount', '-amount'];
  /* The address's parameters: the API's, one for one. */
  var FIELDS = ['q', 'uscc_prefix', 'program', 'measure', 'state', 'flag', 'amount_min', 'amount_max',
    'received_from', 'received_to', 'sort'];
  /* The answer of the last bulk approval, shown once above the list it changed. */
  var lastBulk = null;

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'qs.search': 'Firm name or USCC prefix',
    'qs.search_ph': 'e.g. 华为 or 9131',
    'qs.as_name': 'Searching firm names holding “{text}”.',
    'qs.as_uscc': 'Searching USCCs beginning with {text}.',
    'qs.measure': 'Measure',
    'qs.state': 'State',
    'qs.flag': 'Flags',
    'qs.flag_yes': 'With flags',
    'qs.flag_no': 'Without flags',
    'qs.any': 'Any',
    'qs.amount_min': 'Requested from (yuan)',
    'qs.amount_max': 'Requested to (yuan)',
    'qs.from': 'Received from',
    'qs.to': 'Received to',
    'qs.sort': 'Order',
    'qs.sort.received': 'Oldest first (first come, first served)',
    'qs.sort.-received': 'Newest first',
    'qs.sort.amount': 'Smallest amount first',
    'qs.sort.-amount': 'Largest amount first',
    'qs.go': 'Search',
    'qs.clear': 'Clear',
    'qs.next': 'Next page',
    'qs.first': 'First page',
    'qs.page': 'Page {n}',
    'qs.none': 'No application matches.',
    'qs.pick': 'Select',
    'qs.pick_all': 'Select all reserved applications on this page',
    'qs.selected': function (a) { return a.n === 1 ? '1 selected' : a.n + ' selected'; },
    'qs.approve': 'Approve selected',
    'bulk.confirm': function (a) {
      return a.n === 1 ? 'Approve 1 application and award ' + a.total + ' yuan?'
        : 'Approve ' + a.n + ' applications and award ' + a.total + ' yuan in all?';
    },
    'bulk.title': 'Bulk approval',
    'bulk.summary': '{approved} approved, {waiting} waiting for a second approver, {refused} refused.',
    'bulk.outcome.approved': 'approved',
    'bulk.outcome.waiting_second_approver': 'waiting for a second approver',
    'bulk.outcome.refused': 'refused',
    'bulk.col.outcome': 'Outcome',
    'bulk.col.amount': 'Amount (yuan)',
    'bulk.col.why': 'Why',
    'col.uscc_short': 'USCC',
    'confirm.yes': 'Confirm',
    'confirm.no': 'Cancel',
    'confirm.approve': 'Approve {id} and award {amount} yuan?',
    'confirm.approve_at': 'Approve {id} at rate {rate}, contract value {value}? The award is computed again, at most {amount} yuan.',
    'confirm.disburse': 'Pay {amount} yuan to {name} for {id}? Left to pay before this: {remaining} yuan.',
    'confirm.clawback': 'Recover {amount} yuan from {id}? Paid so far: {paid} yuan.',
    'confirm.milestone': 'Record the {year} milestone of {id} and post that year\'s tranche of its grant of {amount} yuan (left to pay: {remaining} yuan)?',
    'confirm.uphold': 'Uphold the objection to {id}? Its award of {amount} yuan is reversed to the pool and the application is rejected.',
    'confirm.dismiss': 'Dismiss the objection to {id}? Its award of {amount} yuan stands and is paid once the notice has ended.'
  });
  Object.assign(I.zh, {
    'qs.search': '单位名称或统一社会信用代码前缀',
    'qs.search_ph': '例如 华为 或 9131',
    'qs.as_name': '按单位名称检索：含“{text}”。',
    'qs.as_uscc': '按统一社会信用代码检索：以 {text} 开头。',
    'qs.measure': '支持措施',
    'qs.state': '状态',
    'qs.flag': '提示',
    'qs.flag_yes': '有提示',
    'qs.flag_no': '无提示',
    'qs.any': '不限',
    'qs.amount_min': '申请金额下限（元）',
    'qs.amount_max': '申请金额上限（元）',
    'qs.from': '受理日期起',
    'qs.to': '受理日期止',
    'qs.sort': '排序',
    'qs.sort.received': '先受理者在前（先到先得）',
    'qs.sort.-received': '后受理者在前',
    'qs.sort.amount': '金额从小到大',
    'qs.sort.-amount': '金额从大到小',
    'qs.go': '检索',
    'qs.clear': '清除',
    'qs.next': '下一页',
    'qs.first': '第一页',
    'qs.page': '第 {n} 页',
    'qs.none': '没有符合条件的申请。',
    'qs.pick': '选择',
    'qs.pick_all': '选择本页全部已预留的申请',
    'qs.selected': '已选 {n} 项',
    'qs.approve': '批准所选申请',
    'bulk.confirm': '批准 {n} 项申请，合计资助 {total} 元？',
    'bulk.title': '批量批准',
    'bulk.summary': '已批准 {approved} 项，待第二人复核 {waiting} 项，被拒绝 {refused} 项。',
    'bulk.outcome.approved': '已批准',
    'bulk.outcome.waiting_second_approver': '待第二人复核',
    'bulk.outcome.refused': '被拒绝',
    'bulk.col.outcome': '结果',
    'bulk.col.amount': '金额（元）',
    'bulk.col.why': '原因',
    'col.uscc_short': '统一社会信用代码',
    'confirm.yes': '确认',
    'confirm.no': '取消',
    'confirm.approve': '批准 {id}，资助 {amount} 元？',
    'confirm.approve_at': '按核定比例 {rate}、核定合同金额 {value} 批准 {id}？资助金额将重新计算，至多 {amount} 元。',
    'confirm.disburse': '就 {id} 向 {name} 拨付 {amount} 元？本次拨付前待拨付 {remaining} 元。',
    'confirm.clawback': '从 {id} 追回 {amount} 元？已拨付 {paid} 元。',
    'confirm.milestone': '登记 {id} 的 {year} 年度里程碑，并下达其资助（共 {amount} 元，待拨付 {remaining} 元）中该年度的一期？',
    'confirm.uphold': '认定对 {id} 的异议成立？其 {amount} 元资助将退回资金池，申请予以驳回。',
    'confirm.dismiss': '驳回对 {id} 的异议？其 {amount} 元资助维持不变，公示期满后拨付。'
  });

  /* "123.45" (the server's yuan) as integer fen; null for anything else. */
  function fen(s) {
    var m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(s === null || s === undefined ? '' : s));
    if (!m) return null;
    var v = BigInt(m[2]) * 100n + BigInt(((m[3] || '') + '00').slice(0, 2));
    return m[1] ? -v : v;
  }

  /* Integer fen back to the server's form, "123.45". */
  function yuan(v) {
    var neg = v < 0n;
    if (neg) v = -v;
    var c = v % 100n;
    return (neg ? '-' : '') + (v / 100n).toString() + '.' + (c < 10n ? '0' : '') + c.toString();
  }

  /* The sum of the requested amounts of the applications given, exactly. */
  function total(list) {
    return yuan(list.reduce(function (acc, a) {
      var v = fen(a.requested);
      if (v === null) throw new Error('not an amount: ' + a.requested);
      return acc + v;
    }, 0n));
  }

  /* How the search box's text is read: a USCC prefix or a firm's name. */
  function readSearch(text) {
    var t = text.trim();
    if (!t) return {};
    var u = t.toUpperCase();
    if (/^[0-9A-Z]{1,18}$/.test(u) && /[0-9]/.test(u)) return { uscc_prefix: u };
    return { q: t };
  }

  function apiQuery(f, after, limit) {
    var q = new URLSearchParams();
    FIELDS.forEach(function (k) { if (f[k]) q.set(k, f[k]); });
    /* The sort always goes: with it the server searches (oldest first) and pages by cursor. */
    if (!f.sort) q.set('sort', 'received');
    q.set('limit', String(limit));
    if (after) q.set('after', after);
    return q;
  }

  function go(f, after, limit, page) {
    var q = new URLSearchParams();
    FIELDS.forEach(function (k) { if (f[k] || k === 'state') q.set(k, f[k] || ''); });
    if (limit !== PAGE) q.set('limit', String(limit));
    if (after) { q.set('after', after); q.set('page', String(page)); }
    location.hash = '#/queue?' + q.toString();
  }

  function measuresOf(programs) {
    var seen = [];
    (programs || []).forEach(function (p) {
      (p.measures || []).forEach(function (m) { if (seen.indexOf(m.id) < 0) seen.push(m.id); });
    });
    return seen.sort();
  }

  function bulkPanel(b) {
    var rows = (b.results || []).map(function (r) {
      return h('tr', { testid: 'bulk-result-' + r.id, 'data-outcome': r.outcome },
        h('th', { scope: 'row' }, h('a', { href: '#/app/' + K.enc(r.id), text: r.id })),
        h('td', { testid: 'bulk-outcome-' + r.id }, K.V('bulk.outcome', r.outcome)),
        h('td', { class: 'num' }, r.amount !== undefined ? K.money(r.amount, 'bulk-amount-' + r.id) : '—'),
        h('td', { testid: 'bulk-why-' + r.id }, r.error ? [h('code', { text: r.error.code || '' }), ' ',
          r.error.message || ''] : '—'));
    });
    return h('section', { class: 'card bulk-result', testid: 'bulk-result', 'aria-live': 'polite' },
      h('h2', { i18n: 'bulk.title' }),
      h('p', { testid: 'bulk-summary' }, T('bulk.summary', { approved: b.approved, waiting: b.waiting,
        refused: b.refused })),
      K.table('bulk-results', 'bulk.title', ['col.id', 'bulk.col.outcome', 'bulk.col.amount', 'bulk.col.why'],
        rows));
  }

  function viewQueue(seq, params) {
    var role = K.S.me.role;
    var f = {};
    FIELDS.forEach(function (k) { f[k] = params.get(k) || ''; });
    /* The reviewer's work by default: what is reserved; ?state= (empty) for every state. */
    if (!params.has('state')) f.state = 'reserved';
    var after = params.get('after') || '';
    var page = after ? Math.max(2, parseInt(params.get('page') || '2', 10) || 2) : 1;
    var limit = Math.min(1000, Math.max(1, parseInt(params.get('limit') || String(PAGE), 10) || PAGE));
    var reviewer = role === 'reviewer';

    var query = apiQuery(f, after, limit).toString();
    /* A search the server refuses (400: an amount that is not yuan, a date that is not one) is
     * said above the form, which stays as typed so that it can be put right. */
    var refused = null;
    return Promise.all([
      K.api('GET', '/v1/applications?' + query).catch(function (err) {
        if (!err || err.status !== 400) throw err;
        refused = err;
        return { applications: [] };
      }),
      K.api('GET', '/v1/programs').catch(function () { return { programs: [] }; })
    ]).then(function (both) {
      var res = both[0], list = res.applications || [];
      var bulk = lastBulk;
      lastBulk = null;

      /* ---- the form ---- */
      function field(id, key, el) {
        return h('div', { class: 'field' }, h('label', { for: id, i18n: key }), el);
      }
      function select(id, options, value) {
        var s = h('select', { id: id, testid: id }, options);
        s.value = value;
        if (value && s.value !== value) { s.appendChild(h('option', { value: value, text: value })); s.value = value; }
        return s;
      }
      var search = h('input', { id: 'queue-search', testid: 'queue-search', type: 'search', maxlength: '64',
        value: f.q || f.uscc_prefix, spellcheck: 'false', autocomplete: 'off', placeholderKey: 'qs.search_ph' });
      var programs = (both[1].programs || []).map(function (p) { return p.program; });
      /* An office of several programs: which one (a measure's id may recur across them). */
      var program = programs.length > 1 || f.program ? select('queue-program', [h('option', { value: '', i18n: 'qs.any' })]
        .concat(programs.map(function (p) { return h('option', { value: p, text: p }); })), f.program) : null;
      var measure = select('queue-measure', [h('option', { value: '', i18n: 'qs.any' })].concat(
        measuresOf(both[1].programs).map(function (m) { return h('option', { value: m, text: m }); })), f.measure);
      var state = select('queue-state', [h('option', { value: '', i18n: 'queue.all' })].concat(
        STATES.map(function (s) { return h('option', { value: s, tv: 'state|' + s }); })), f.state);
      var flag = select('queue-flag', [h('option', { value: '', i18n: 'qs.any' }),
        h('option', { value: 'yes', i18n: 'qs.flag_yes' }), h('option', { value: 'no', i18n: 'qs.flag_no' })], f.flag);
      var sort = select('queue-sort', SORTS.map(function (s) {
        return h('option', { value: s, i18n: 'qs.sort.' + s });
      }), f.sort || 'received');
      function input(id, type, value, attrs) {
        return h('input', Object.assign({ id: id, testid: id, type: type, value: value, autocomplete: 'off' },
          attrs || {}));
      }
      var amin = input('queue-amount-min', 'text', f.amount_min, { inputmode: 'decimal', placeholderKey: 'action.money_ph' });
      var amax = input('queue-amount-max', 'text', f.amount_max, { inputmode: 'decimal', placeholderKey: 'action.money_ph' });
      var from = input('queue-from', 'date', f.received_from);
      var to = input('queue-to', 'date', f.received_to);

      var form = h('form', { class: 'card queue-filters', testid: 'queue-filters', novalidate: true,
        onsubmit: function (ev) {
          ev.preventDefault();
          var nf = Object.assign({ q: '', uscc_prefix: '' }, readSearch(search.value), {
            program: program ? program.value : '', measure: measure.value, state: state.value, flag: flag.value,
            amount_min: amin.value.trim(), amount_max: amax.value.trim(),
            received_from: from.value, received_to: to.value,
            sort: sort.value === 'received' ? '' : sort.value
          });
          go(nf, '', limit, 1);
        } },
        h('div', { class: 'grid' },
          h('div', { class: 'field wide' }, h('label', { for: 'queue-search', i18n: 'qs.search' }), search),
          program ? field('queue-program', 'col.program', program) : null,
          field('queue-measure', 'qs.measure', measure),
          field('queue-state', 'qs.state', state),
          field('queue-flag', 'qs.flag', flag),
          field('queue-amount-min', 'qs.amount_min', amin),
          field('queue-amount-max', 'qs.amount_max', amax),
          field('queue-from', 'qs.from', from),
          field('queue-to', 'qs.to', to),
          field('queue-sort', 'qs.sort', sort)),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', testid: 'queue-go', i18n: 'qs.go' }),
          h('button', { type: 'button', testid: 'queue-clear', i18n: 'qs.clear',
            onclick: function () { location.hash = '#/queue'; } })));

      var readAs = f.uscc_prefix ? T('qs.as_uscc', { text: f.uscc_prefix }, { testid: 'queue-search-as', 'data-as': 'uscc' })
        : f.q ? T('qs.as_name', { text: f.q }, { testid: 'queue-search-as', 'data-as': 'name' }) : null;

      /* ---- the list, with its checkboxes ---- */
      var picks = [];
      var selected = T('qs.selected', { n: 0 }, { testid: 'queue-selected' });
      var approve = h('button', { type: 'button', class: 'primary', testid: 'bulk-approve', i18n: 'qs.approve',
        disabled: true, onclick: function () { ask(); } });
      function chosen() {
        return picks.filter(function (p) { return p.box.checked; }).map(function (p) { return p.a; });
      }
      function sync() {
        var n = chosen().length;
        selected.dataset.i18nArgs = JSON.stringify({ n: n });
        K.applyI18n(selected);
        approve.disabled = n === 0;
        var open = document.querySelector('[data-testid=confirm-box]');
        if (open) open.remove(); /* a confirmation is for the selection it showed */
      }
      function ask() {
        var apps = chosen();
        if (!apps.length) return;
        var sum = total(apps);
        var ids = apps.map(function (a) { return a.id; });
        K.confirmMove(approve, T('bulk.confirm', { n: apps.length, total: K.fmtMoney(sum) }), sum, function (key) {
          return K.api('POST', '/v1/applications/approve', { ids: ids }, { 'Idempotency-Key': key }).then(function (r) {
            lastBulk = r;
            return viewQueue(seq, params);
          });
        });
      }
      var all = reviewer ? h('input', { type: 'checkbox', testid: 'queue-check-all', ariaLabelKey: 'qs.pick_all',
        onchange: function () {
          picks.forEach(function (p) { p.box.checked = all.checked; });
          sync();
        } }) : null;

      function row(a) {
        var age = K.ageArgs(a.age_seconds);
        var href = '#/app/' + K.enc(a.id);
        var box = reviewer && a.state === 'reserved'
          ? h('input', { type: 'checkbox', testid: 'queue-check-' + a.id, ariaLabelKey: 'qs.pick',
            onchange: sync }) : null;
        if (box) picks.push({ box: box, a: a });
        return h('tr', { testid: 'queue-row-' + a.id, 'data-id': a.id },
          reviewer ? h('td', { class: 'pick' }, box) : null,
          h('th', { scope: 'row' }, h('a', { href: href, testid: 'queue-link-' + a.id, text: a.id })),
          h('td', null, a.client_ref ? h('code', { testid: 'queue-ref-' + a.id, text: a.client_ref }) : '—'),
          h('td', { testid: 'queue-name-' + a.id, text: a.name || '' }),
          h('td', null, h('code', { testid: 'queue-uscc-' + a.id, text: a.uscc || '' })),
          h('td', null, h('code', { text: a.measure || '' })),
          h('td', { class: 'num' }, K.money(a.requested, 'queue-requested-' + a.id)),
          h('td', { class: 'num', text: a.rate === undefined || a.rate === null ? '—' : String(a.rate) }),
          h('td', null, K.flagList(a.flags)),
          h('td', null, a.received_at ? K.timeEl(a.received_at, true, 'queue-received-' + a.id) : '—'),
          h('td', { class: 'num' }, h('span', { i18n: age[0], args: age[1], testid: 'queue-age-' + a.id })),
          h('td', null, K.stateBadge(a.state, 'queue-state-' + a.id)));
      }
      var rows = list.map(row);
      if (all) all.disabled = picks.length === 0;

      var heads = (reviewer ? [all] : []).concat(['col.id', 'col.client_ref', 'col.applicant', 'col.uscc_short',
        'col.measure', 'col.requested', 'col.rate', 'col.flags', 'col.received_at', 'col.age', 'col.state']);
      var pager = h('div', { class: 'actions pager' },
        h('span', { testid: 'queue-page', 'data-page': String(page) }, T('qs.page', { n: page })), ' ',
        h('span', { class: 'count-total', testid: 'queue-count', i18n: 'queue.count', args: { n: list.length } }), ' ',
        after ? h('button', { type: 'button', testid: 'queue-first', i18n: 'qs.first',
          onclick: function () { go(f, '', limit, 1); } }) : null,
        res.next_after ? h('button', { type: 'button', testid: 'queue-next', i18n: 'qs.next',
          onclick: function () { go(f, res.next_after, limit, page + 1); } }) : null);

      K.setView(seq, 'queue', h('section', { class: 'queue', testid: 'queue-view', 'data-query': query },
        h('h1', { i18n: 'queue.title' }),
        form,
        readAs ? h('p', { class: 'help' }, readAs) : null,
        bulk ? bulkPanel(bulk) : null,
        reviewer ? h('div', { class: 'actions bulk-bar', testid: 'bulk-bar' }, selected, ' ', approve) : null,
        list.length ? K.table('queue-table', 'queue.title', heads, rows)
          : h('p', { class: 'empty', testid: 'queue-empty', i18n: 'qs.none' }),
        pager));
      if (refused && seq === K.S.seq) K.showError(refused);
    });
  }

  K.view('queue', function (seq, parts, params) {
    if (K.S.me.role === 'applicant') return K.appQueue(seq, params);
    return viewQueue(seq, params);
  });
});
