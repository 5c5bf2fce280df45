/* quan dashboard: a single-page app over the quan HTTP API (data/openapi.json).
 *
 * Rules this file keeps:
 * - Money is never computed here. The server sends decimal yuan strings; they are shown as
 *   sent (thousands separators inserted as text). Only the burn-down chart turns them into
 *   numbers, to place points on the canvas; its tooltips show the server's strings again.
 * - Every label comes from i18n.js. Elements carry data-i18n keys so switching the language
 *   relabels the page in place, without reloading data or losing what was typed.
 */
(function () {
  'use strict';

  var DICT = window.QUAN_I18N;
  var STATES = ['ineligible', 'reserved', 'waitlisted', 'queued', 'awarded', 'rejected',
    'withdrawn', 'expired'];
  var OPEN_STATES = ['reserved', 'queued', 'waitlisted'];
  var SERIES = [
    { key: 'available', color: '#1f6feb' },
    { key: 'reserved', color: '#d29922' },
    { key: 'awarded', color: '#8250df' },
    { key: 'paid', color: '#1a7f37' }
  ];

  var S = {
    token: sessionStorage.getItem('quan.token') || '',
    /* A signed-in session: the cookie (HttpOnly) goes by itself, the CSRF
     * value goes as X-CSRF-Token on every write; recovered from GET /v1/me
     * after a reload. */
    csrf: sessionStorage.getItem('quan.csrf') || '',
    probed: false,
    me: null,
    lang: initialLang(),
    programs: null,
    chart: null,
    seq: 0,
    lastPool: null
  };

  /* ---------- language ---------- */

  function initialLang() {
    var saved = null;
    try { saved = localStorage.getItem('quan.lang'); } catch (e) { saved = null; }
    if (saved === 'en' || saved === 'zh') return saved;
    var nav = navigator.language || 'en';
    return /^zh/i.test(nav) ? 'zh' : 'en';
  }

  function t(key, args) {
    var d = DICT[S.lang] || DICT.en;
    var v = Object.prototype.hasOwnProperty.call(d, key) ? d[key] : DICT.en[key];
    if (v === undefined) return key;
    if (typeof v === 'function') return v(args || {});
    return String(v).replace(/\{(\w+)\}/g, function (m, k) {
      return args && args[k] !== undefined ? String(args[k]) : m;
    });
  }

  /* A label for a value from a closed vocabulary (state, role, kind...), or the value itself. */
  function tv(group, value) {
    var key = group + '.' + value;
    var d = DICT[S.lang] || DICT.en;
    return (key in d || key in DICT.en) ? t(key) : String(value);
  }

  function applyOne(el) {
    var args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n, args);
    if (el.dataset.i18nV) {
      var p = el.dataset.i18nV.split('|');
      el.textContent = tv(p[0], p.slice(1).join('|'));
    }
    if (el.dataset.i18nPlaceholder) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
    if (el.dataset.i18nAriaLabel) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel, args));
    if (el.dataset.i18nTitle) el.setAttribute('title', t(el.dataset.i18nTitle));
    /* A name the server gives in both languages (a city, an industry). */
    if (el.dataset.i18nNames) {
      var n = JSON.parse(el.dataset.i18nNames);
      el.textContent = S.lang === 'zh' ? n.zh : n.en;
    }
  }

  function applyI18n(root) {
    var sel = '[data-i18n],[data-i18n-v],[data-i18n-placeholder],[data-i18n-aria-label],[data-i18n-title],' +
      '[data-i18n-names]';
    if (root.matches && root.matches(sel)) applyOne(root);
    root.querySelectorAll(sel).forEach(applyOne);
  }

  function setLang(lang) {
    S.lang = lang;
    try { localStorage.setItem('quan.lang', lang); } catch (e) { /* private mode */ }
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('site.title');
    applyI18n(document.body);
    refreshTimes(document.body);
    var toggle = document.getElementById('lang-toggle');
    toggle.setAttribute('aria-pressed', lang === 'zh' ? 'true' : 'false');
    toggle.lang = lang === 'zh' ? 'en' : 'zh-CN';
    if (S.chart) {
      S.chart.data.datasets.forEach(function (ds) { ds.label = t('col.' + ds.key); });
      S.chart.update('none');
    }
  }

  /* ---------- DOM helpers ---------- */

  function h(tag, attrs) {
    var el = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'i18n') el.dataset.i18n = v;
      else if (k === 'args') el.dataset.i18nArgs = JSON.stringify(v);
      else if (k === 'tv') el.dataset.i18nV = v;
      else if (k === 'placeholderKey') el.dataset.i18nPlaceholder = v;
      else if (k === 'ariaLabelKey') el.dataset.i18nAriaLabel = v;
      else if (k === 'titleKey') el.dataset.i18nTitle = v;
      else if (k === 'names') el.dataset.i18nNames = JSON.stringify(v);
      else if (k === 'testid') el.setAttribute('data-testid', v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, v);
    });
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    applyOne(el);
    return el;
  }

  function add(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }

  /* A translated text span. */
  function T(key, args, attrs) {
    var a = Object.assign({ i18n: key }, attrs || {});
    if (args) a.args = args;
    return h('span', a);
  }

  /* A text the server gives in both languages (o[key] and o[key + '_zh']: a rule's says, a
   * trace line's words, an assumption), shown in the dashboard's language and switched with it;
   * the English when the server has no Chinese. */
  function Z(o, key, attrs) {
    var en = o && o[key] !== undefined && o[key] !== null ? String(o[key]) : '';
    var zh = o && typeof o[key + '_zh'] === 'string' ? o[key + '_zh'] : en;
    return h('span', Object.assign({ names: { en: en, zh: zh } }, attrs || {}));
  }

  /* A translated value from a vocabulary (state.awarded...), keeping the raw value. */
  function V(group, value, attrs) {
    return h('span', Object.assign({ tv: group + '|' + value }, attrs || {}));
  }

  function stateBadge(state, testid) {
    return h('span', { class: 'badge state-' + state, 'data-state': state, testid: testid,
      tv: 'state|' + state });
  }

  /* Money as the server sent it, with thousands separators inserted as text. */
  function fmtMoney(s) {
    if (s === null || s === undefined || s === '') return '—';
    s = String(s);
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
    if (!m) return s;
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '');
  }

  function money(s, testid) {
    return h('span', { class: 'money', 'data-money': s === null || s === undefined ? '' : String(s),
      testid: testid, text: fmtMoney(s) });
  }

  function toMs(at) {
    if (typeof at === 'number') return at < 1e11 ? at * 1000 : at;
    if (/^\d+$/.test(String(at))) return Number(at) * 1000;
    var ms = Date.parse(at);
    if (isNaN(ms) && /^\d{4}-\d{2}-\d{2}$/.test(at)) ms = Date.parse(at + 'T00:00:00Z');
    return ms;
  }

  function locale() { return S.lang === 'zh' ? 'zh-CN' : 'en-GB'; }

  function fmtTime(at, withTime) {
    var ms = toMs(at);
    if (isNaN(ms)) return String(at);
    var opt = { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' };
    if (withTime !== false) { opt.hour = '2-digit'; opt.minute = '2-digit'; opt.hour12 = false; }
    return new Intl.DateTimeFormat(locale(), opt).format(new Date(ms));
  }

  /* A time that relabels itself when the language changes. */
  function timeEl(at, withTime, testid) {
    var el = h('time', { class: 'ts', text: fmtTime(at, withTime), testid: testid });
    var ms = toMs(at);
    if (!isNaN(ms)) el.setAttribute('datetime', new Date(ms).toISOString());
    el.dataset.at = String(at);
    if (withTime === false) el.dataset.dateOnly = '1';
    return el;
  }

  function refreshTimes(root) {
    root.querySelectorAll('time[data-at]').forEach(function (el) {
      var at = el.dataset.at;
      el.textContent = fmtTime(/^\d+$/.test(at) ? Number(at) : at, !el.dataset.dateOnly);
    });
  }

  function ageArgs(secs) {
    secs = Math.max(0, Math.floor(Number(secs) || 0));
    var d = Math.floor(secs / 86400), hh = Math.floor((secs % 86400) / 3600),
      mm = Math.floor((secs % 3600) / 60);
    if (d > 0) return ['age.dh', { d: d, h: hh }];
    if (hh > 0) return ['age.hm', { h: hh, m: mm }];
    return ['age.m', { m: mm }];
  }

  function $(id) { return document.getElementById(id); }

  function table(testid, captionKey, headKeys, rows, attrs) {
    return h('div', { class: 'table-wrap' },
      h('table', Object.assign({ testid: testid }, attrs || {}),
        captionKey ? h('caption', { class: 'sr-only', i18n: captionKey }) : null,
        h('thead', null, h('tr', null, headKeys.map(function (k) {
          var th = h('th', { scope: 'col' });
          if (typeof k === 'string') add(th, T(k)); else add(th, k);
          return th;
        }))),
        h('tbody', null, rows)));
  }

  function dl(pairs, cls) {
    var el = h('dl', { class: cls || 'facts' });
    pairs.forEach(function (p) {
      if (!p) return;
      add(el, h('div', { class: 'fact' }, h('dt', null, T(p[0])), h('dd', p[2] || null, p[1])));
    });
    return el;
  }

  /* ---------- messages ---------- */

  function clearAlert() {
    var a = $('alert');
    a.hidden = true;
    a.replaceChildren();
    var n = $('notice');
    n.hidden = true;
    n.replaceChildren();
  }

  function showError(err) {
    var a = $('alert');
    var e = err && err.api ? err.api : { code: 'client', message: String(err && err.message || err) };
    /* Through add(), which skips a missing part: replaceChildren would
     * write a null (no field) as the text "null". */
    a.replaceChildren();
    add(a, [
      h('strong', { i18n: 'error.title' }), ' ',
      /* The server's message in the switch's language: message_zh beside it (Z). */
      Z(e, 'message', { testid: 'error-message', class: 'error-message' }),
      e.field ? h('span', { class: 'error-field' }, ' (', T('error.field'), ' ',
        h('code', { testid: 'error-field', text: e.field }), ')') : null,
      h('span', { class: 'error-code' }, ' [',
        err && err.status ? [T('error.status', { status: String(err.status) }), ', '] : '',
        h('code', { testid: 'error-code', text: e.code || '' }), ']')]);
    a.hidden = false;
    $('notice').hidden = true;
    a.scrollIntoView({ block: 'nearest' });
  }

  function showNotice(key, args) {
    var n = $('notice');
    n.replaceChildren(T(key, args));
    n.hidden = false;
    $('alert').hidden = true;
  }

  /* ---------- API ---------- */

  function ApiError(status, body, retryAfter) {
    this.status = status;
    this.api = body;
    this.message = body.message;
    this.retryAfter = retryAfter || 0;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function api(method, path, body, headers) {
    /* English in the texts' own keys, whatever the browser's language: the answer carries each
     * text's Chinese beside it (says_zh, words_zh...), and the dashboard shows the one its switch
     * asks for (Z), so that the switch turns them without asking again. */
    var opt = { method: method, headers: Object.assign({ Accept: 'application/json', 'Accept-Language': 'en' }, headers || {}),
      credentials: 'same-origin' };
    if (S.token) opt.headers.Authorization = 'Bearer ' + S.token;
    else if (S.csrf && method !== 'GET' && method !== 'HEAD') opt.headers['X-CSRF-Token'] = S.csrf;
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    return fetch(path, opt).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var err = data && data.error ? data.error
            : { code: 'http_' + res.status, message: text ? text.slice(0, 300) : res.statusText };
          throw new ApiError(res.status, err, parseInt(res.headers.get('Retry-After') || '0', 10) || 0);
        }
        if (data === null) throw new ApiError(res.status, { code: 'bad_response', message: t('error.notjson') });
        return data;
      });
    }, function (e) {
      throw new ApiError(0, { code: 'network', message: t('error.network') + ' ' + e.message });
    });
  }

  function enc(s) { return encodeURIComponent(s); }

  /* ---------- header ---------- */

  function renderHeader() {
    var nav = $('nav');
    var user = $('user');
    if (!S.me) {
      nav.hidden = true;
      user.hidden = true;
      return;
    }
    var role = S.me.role;
    var links = [];
    if (role !== 'applicant') links.push(['pools', 'nav.pools']);
    if (role !== 'analyst') {
      links.push(['queue', role === 'applicant' ? 'nav.mine' : 'nav.queue']);
      links.push(['estimate', 'nav.estimate']);
      links.push(['compare', 'nav.compare']);
    }
    if (role === 'analyst' || role === 'administrator') links.push(['simulate', 'nav.simulate']);
    if (role === 'administrator') links.push(['users', 'nav.users']);
    EXT.nav.forEach(function (f) { var l = f(role); if (l) links.push(l); });
    /* Pages other scripts add (notice.js): [route, label key, roles]. */
    ((window.QUAN_PAGES && window.QUAN_PAGES.nav) || []).forEach(function (n) {
      if (n[2].indexOf(role) >= 0) links.push([n[0], n[1]]);
    });
    if (window.QUAN_FINANCE && (role === 'finance' || role === 'administrator' || role === 'auditor')) {
      links.push(['finance', 'nav.finance']);
    }
    nav.replaceChildren(h('ul', null, links.map(function (l) {
      return h('li', null, h('a', { href: '#/' + l[0], id: 'nav-' + l[0], testid: 'nav-' + l[0],
        i18n: l[1] }));
    })));
    nav.hidden = false;
    $('user-name').textContent = S.me.name || '';
    var r = $('user-role');
    r.dataset.i18nV = 'role|' + role;
    r.dataset.role = role;
    applyOne(r);
    var u = $('user-uscc');
    u.textContent = S.me.uscc || '';
    u.hidden = !S.me.uscc;
    user.hidden = false;
    markNav();
  }

  function markNav() {
    var cur = (location.hash.replace(/^#\/?/, '').split(/[/?]/)[0]) || '';
    if (cur === 'app') cur = 'queue';
    document.querySelectorAll('#nav a').forEach(function (a) {
      if (a.id === 'nav-' + cur) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  /* Forget who is signed in; with `end`, a session is ended on the server
   * first (DELETE /v1/session), so that GET /v1/me fails from then on. */
  function logout(reasonKey, end) {
    if (end && !S.token && S.me) {
      api('DELETE', '/v1/session').catch(function () { return null; }).then(function () { logout(reasonKey); });
      return;
    }
    S.token = '';
    S.csrf = '';
    S.probed = true;
    S.me = null;
    sessionStorage.removeItem('quan.token');
    sessionStorage.removeItem('quan.csrf');
    renderHeader();
    if (location.hash !== '#/login') location.hash = '#/login';
    else route();
    if (reasonKey) setTimeout(function () { showNotice(reasonKey); }, 0);
  }

  function defaultRoute() {
    if (!S.me) return 'login';
    return S.me.role === 'applicant' || S.me.role === 'reviewer' ? 'queue' : 'pools';
  }

  /* ---------- routing ---------- */

  function destroyChart() {
    if (S.chart) { S.chart.destroy(); S.chart = null; }
  }

  function setView(seq, route, node) {
    if (seq !== S.seq) return false;
    destroyChart();
    var v = $('view');
    v.replaceChildren(node);
    v.dataset.route = route;
    v.setAttribute('aria-busy', 'false');
    return true;
  }

  function busy(seq) {
    if (seq === S.seq) $('view').setAttribute('aria-busy', 'true');
  }

  function focusHeading() {
    var h1 = document.querySelector('#view h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
  }

  function route() {
    var seq = ++S.seq;
    clearAlert();
    var hash = location.hash.replace(/^#\/?/, '');
    var q = hash.indexOf('?');
    var path = q >= 0 ? hash.slice(0, q) : hash;
    var params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
    var parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    busy(seq);

    if (!S.token && !S.me && !S.probed) {
      /* A session cookie may be there (a reload, another tab): ask. */
      S.probed = true;
      api('GET', '/v1/me').then(function (me) {
        if (me.signed_in_with === 'session') acceptSession(me);
      }, function () { return null; }).then(function () { if (seq === S.seq) route(); });
      return;
    }
    if (!S.token && !S.me) {
      if (parts[0] !== 'login') { location.replace('#/login'); return; }
      renderHeader();
      setView(seq, 'login', viewLogin());
      return;
    }
    var ready = S.me ? Promise.resolve(S.me) : api('GET', '/v1/me').then(function (me) {
      S.me = me;
      return me;
    });
    ready.then(function () {
      if (seq !== S.seq) return;
      if (parts[0] === 'login') { location.replace('#/' + defaultRoute()); return; }
      renderHeader();
      var p;
      if (Object.prototype.hasOwnProperty.call(EXT.views, parts[0])) p = EXT.views[parts[0]](seq, parts, params);
      else switch (parts[0]) {
        case 'pools': p = viewPools(seq, parts); break;
        case 'queue': p = viewQueue(seq, params); break;
        case 'app': p = viewApp(seq, parts.slice(1).join('/')); break;
        case 'estimate': p = viewEstimate(seq); break;
        case 'simulate': p = viewSimulate(seq); break;
        case 'users': p = viewUsers(seq); break;
        case 'finance': if (window.QUAN_FINANCE) { p = window.QUAN_FINANCE.view(ui(), seq, parts); break; }
          /* falls through */
        default:
          if (window.QUAN_PAGES && window.QUAN_PAGES.views[parts[0]]) {
            p = window.QUAN_PAGES.views[parts[0]](PAGE_KIT, seq, parts, params);
            break;
          }
          location.replace('#/' + defaultRoute()); return;
      }
      return p.then(function () { if (seq === S.seq) focusHeading(); });
    }).catch(function (err) {
      if (seq !== S.seq) return;
      if (err && err.status === 401) { logout(S.token ? 'login.expired' : 'signin.expired'); return; }
      setView(seq, 'error', h('section', null, h('h1', { i18n: 'error.page' })));
      showError(err);
    });
  }

  /* ---------- self-reliance and the comparison ---------- */

  /* The domestic share of subsidised compute, as the server computed it. */
  function selfReliance(sr) {
    if (!sr || !sr.total) return null;
    var row = function (m, label) {
      return h('tr', { testid: 'sr-row-' + (m.month || 'all') },
        h('th', { scope: 'row' }, label),
        h('td', { class: 'num', text: String(m.applications) }),
        h('td', { class: 'num' }, money(m.subsidy)),
        h('td', { class: 'num' }, money(m.domestic_subsidy)),
        h('td', { class: 'num', testid: 'sr-share-yuan-' + (m.month || 'all'), text: m.share_yuan }),
        h('td', { class: 'num', text: String(m.h100_hours) }),
        h('td', { class: 'num', text: String(m.domestic_h100_hours) }),
        h('td', { class: 'num', testid: 'sr-share-hours-' + (m.month || 'all'), text: m.share_hours }));
    };
    return h('section', { class: 'self-reliance', testid: 'self-reliance' },
      h('h2', { i18n: 'sr.title' }),
      h('p', { class: 'help', testid: 'sr-summary', i18n: 'sr.summary',
        args: { yuan: sr.total.share_yuan, hours: sr.total.share_hours,
          forecast: sr.forecast_2027.share } }),
      table('sr-table', 'sr.title', ['sr.month', 'sr.apps', 'sr.subsidy', 'sr.domestic', 'sr.share_yuan',
        'sr.hours', 'sr.domestic_hours', 'sr.share_hours'],
        (sr.months || []).map(function (m) { return row(m, m.month); })
          .concat([row(sr.total, T('sr.all'))])),
      h('p', { class: 'help source', testid: 'sr-forecast' }, Z(sr.forecast_2027, 'source')));
  }

  var EXAMPLE_PROFILE = {
    firm: { uscc: '91310115MA1K4ABCDD', name: '示例智能科技有限公司', sme: true, startup: true,
      registered_model: false, head_count: 12, office_m2: 300 },
    plan: { signed_on: '2025-09-01', electricity_kwh: 50000,
      compute: [{ kind: 'rent', chip: 'ascend-910c', accelerators: 128, hours: 4000,
        price_per_hour: '9.10', term_months: 12 }],
      models: [{ kind: 'api', value: '600000.00', term_months: 12, uses_registered_model: true }],
      corpus: [{ value: '400000.00', term_months: 12 }] }
  };

  function cityName(c) { return S.lang === 'zh' ? c.city_name_zh : c.city_name; }

  function compareResult(res) {
    var rows = res.cities.map(function (c) {
      return h('tr', { testid: 'cmp-row-' + c.program, 'data-rank': String(c.rank) },
        h('td', { class: 'num', text: String(c.rank) }),
        h('th', { scope: 'row' }, h('span', { testid: 'cmp-city-' + c.program, text: cityName(c) }), ' ',
          h('code', { text: c.program })),
        h('td', { class: 'num' }, money(c.planned_spend, 'cmp-spend-' + c.program)),
        h('td', { class: 'num' }, money(c.subsidies, 'cmp-subsidies-' + c.program)),
        h('td', { class: 'num' }, money(c.operating_costs, 'cmp-operating-' + c.program)),
        h('td', { class: 'num' }, money(c.net_cost, 'cmp-net-' + c.program)));
    });
    var w = res.why;
    var winner = res.cities[0];
    var runner = w ? res.cities.filter(function (c) { return c.program === w.runner_up; })[0] : null;
    var why = w ? h('p', { class: 'why', testid: 'cmp-why', i18n: 'compare.why.' + w.basis,
      args: { winner: cityName(winner), runner: cityName(runner), margin: fmtMoney(w.margin),
        subsidies: fmtMoney(w.subsidies_diff.replace(/^[+-]/, '')),
        costs: fmtMoney(w.operating_diff.replace(/^[+-]/, '')),
        office: fmtMoney(w.office_diff), salaries: fmtMoney(w.salaries_diff) } }) : null;
    var details = res.cities.map(function (c) {
      return h('details', { testid: 'cmp-detail-' + c.program },
        h('summary', null, String(c.rank), '. ', cityName(c), ' ', h('code', { text: c.program })),
        h('ul', null, c.items.map(function (it) {
          return h('li', null, h('code', { text: it.item }), ' ', V('kind', it.kind), ' ', money(it.value), ' → ',
            it.measure ? h('span', null, h('code', { text: it.measure }), ' ',
              money(it.subsidy, 'cmp-item-' + c.program + '-' + it.item)) : T('compare.none'),
            h('ul', null, it.decisions.map(function (d) {
              return h('li', { 'data-counted': String(d.counted) },
                h('code', { text: d.measure }), ' ', d.rate, ' ', money(d.amount),
                d.rate_rule ? h('span', { class: 'rule' }, ' — ', d.rate_rule.says || d.rate_rule.rule) : null,
                d.caps.map(function (cp) { return h('span', { class: 'cap' }, ' · ', cp.says || cp.rule, ' (', money(cp.cut), ')'); }),
                d.counted ? h('strong', null, ' ✓') : null);
            })));
        })),
        h('ul', { class: 'costs' }, ['office', 'salaries', 'electricity'].map(function (k) {
          var f = c.costs[k];
          return h('li', { testid: 'cmp-cost-' + c.program + '-' + k, 'data-assumption': String(f.is_assumption) },
            T('compare.cost.' + k), ': ', money(f.amount), ' (', f.rate, ' × ', String(f.quantity), ') — ', f.source,
            ', ', f.as_of, f.is_assumption ? h('em', null, ' · ', T('compare.assumption'), ': ',
              S.lang === 'zh' && f.assumption_zh ? f.assumption_zh : f.assumption) : null);
        })));
    });
    return h('div', null,
      table('compare-table', 'compare.title', ['compare.rank', 'compare.city', 'compare.spend',
        'compare.subsidies', 'compare.operating', 'compare.net'], rows),
      why, details);
  }

  /* ---------- login ---------- */

  function acceptSession(me) {
    S.token = '';
    sessionStorage.removeItem('quan.token');
    S.csrf = me.csrf || '';
    sessionStorage.setItem('quan.csrf', S.csrf);
    S.me = { name: me.name, role: me.role, uscc: me.uscc, signed_in_with: 'session' };
  }

  /* A failed sign-in in the reader's language: a wrong name or password,
   * a lock-out for N seconds (429, Retry-After), a busy server (503). */
  function signinError(err) {
    var secs = err.retryAfter || 1;
    var key = err.status === 401 ? 'signin.wrong'
      : err.status === 429 ? 'signin.locked'
      : err.status === 503 ? 'signin.busy'
      : err.status === 403 ? 'signin.disabled' : null;
    if (!key) return err;
    return { status: err.status, api: { code: err.api.code, message: t(key, { secs: secs }) } };
  }

  function viewLogin() {
    var name = h('input', { id: 'signin-name', testid: 'signin-name', type: 'text', name: 'username',
      autocomplete: 'username', spellcheck: 'false', required: true });
    var pass = h('input', { id: 'signin-password', testid: 'signin-password', type: 'password',
      name: 'password', autocomplete: 'current-password', required: true });
    var form = h('form', { class: 'card login', testid: 'signin-form', novalidate: true,
      onsubmit: function (ev) {
        ev.preventDefault();
        clearAlert();
        if (!name.value.trim() || !pass.value) {
          showError({ api: { code: 'missing', message: t('signin.empty') } });
          return;
        }
        var btn = form.querySelector('button');
        btn.disabled = true;
        S.token = '';
        S.csrf = '';
        api('POST', '/v1/session', { name: name.value.trim(), password: pass.value }).then(function (res) {
          acceptSession(res);
          pass.value = '';
          location.hash = '#/' + defaultRoute();
        }).catch(function (err) {
          S.me = null;
          btn.disabled = false;
          pass.value = '';
          pass.focus();
          showError(signinError(err));
        });
      } },
      h('h1', { i18n: 'login.title' }),
      h('p', { class: 'help', i18n: 'signin.help' }),
      h('label', { for: 'signin-name', i18n: 'signin.name' }),
      name,
      h('label', { for: 'signin-password', i18n: 'signin.password' }),
      pass,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary', testid: 'login-submit', i18n: 'login.submit' })));

    var input = h('input', { id: 'token-input', testid: 'token-input', type: 'password',
      autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
    var tform = h('form', { class: 'token-form', testid: 'token-form', novalidate: true,
      onsubmit: function (ev) {
        ev.preventDefault();
        clearAlert();
        var tok = input.value.trim();
        if (!tok) { showError({ api: { code: 'missing_token', message: t('login.empty') } }); return; }
        var btn = tform.querySelector('button');
        btn.disabled = true;
        S.token = tok;
        S.csrf = '';
        api('GET', '/v1/me').then(function (me) {
          S.me = me;
          sessionStorage.setItem('quan.token', tok);
          sessionStorage.removeItem('quan.csrf');
          location.hash = '#/' + defaultRoute();
        }).catch(function (err) {
          S.token = '';
          S.me = null;
          btn.disabled = false;
          showError(err);
        });
      } },
      h('p', { id: 'token-help', class: 'help', i18n: 'login.help' }),
      h('label', { for: 'token-input', i18n: 'login.token' }),
      input,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', testid: 'token-submit', i18n: 'login.token_submit' })));
    var details = h('details', { class: 'card login use-token', testid: 'token-details' },
      h('summary', { testid: 'use-token', i18n: 'login.use_token' }), tform);
    return h('section', null, form, details);
  }

  /* ---------- users (administrators) ---------- */

  var ROLES = ['administrator', 'reviewer', 'finance', 'auditor', 'applicant', 'analyst'];

  /* A failed change to users in the reader's language where the API's
   * answer is a known one. */
  function userError(err, name) {
    var key = null;
    if (err.status === 409 && err.api && err.api.field === 'name') key = 'users.exists';
    else if (err.status === 409) key = 'users.self';
    else if (err.status === 400 && err.api && err.api.field === 'password') key = 'users.weak';
    else if (err.status === 404) key = 'users.gone';
    if (!key) return err;
    return { status: err.status, api: { code: err.api.code, field: err.api.field,
      message: t(key, { name: name }) } };
  }

  function viewUsers(seq) {
    return api('GET', '/v1/users').then(function (res) {
      var users = res.users || [];
      var tokenBox = h('div', { class: 'new-token', testid: 'users-token', hidden: true });
      function reload(noticeKey, args) {
        return viewUsers(S.seq).then(function () {
          if (noticeKey) showNotice(noticeKey, args);
        });
      }
      function change(u, body, noticeKey, ctl) {
        clearAlert();
        if (ctl) ctl.disabled = true;
        return api('PATCH', '/v1/users/' + enc(u.name), body).then(function () {
          return reload(noticeKey, { name: u.name });
        }, function (err) { if (ctl) ctl.disabled = false; showError(userError(err, u.name)); });
      }
      function row(u) {
        var roleSel = h('select', { testid: 'user-role-' + u.name, 'aria-label': u.name,
          onchange: function () { change(u, { role: roleSel.value }, 'users.changed', roleSel); } },
          ROLES.map(function (r) { return h('option', { value: r, tv: 'role|' + r }); }));
        roleSel.value = u.role;
        var pw = h('input', { type: 'password', testid: 'user-newpass-' + u.name, autocomplete: 'new-password',
          ariaLabelKey: 'users.new_password', placeholderKey: 'users.new_password' });
        var reset = h('form', { class: 'inline', onsubmit: function (ev) {
          ev.preventDefault();
          clearAlert();
          if (!pw.value) { showError({ api: { code: 'missing', message: t('users.need_password') } }); return; }
          api('POST', '/v1/users/' + enc(u.name) + '/password', { password: pw.value }).then(function () {
            pw.value = '';
            showNotice('users.reset_done', { name: u.name });
          }, function (err) { showError(userError(err, u.name)); });
        } }, pw, h('button', { type: 'submit', testid: 'user-reset-' + u.name, i18n: 'users.reset' }));
        return h('tr', { testid: 'user-row-' + u.name },
          h('th', { scope: 'row', testid: 'user-name-' + u.name, text: u.name }),
          h('td', null, roleSel),
          h('td', null, u.uscc ? h('code', { text: u.uscc }) : '—'),
          h('td', { testid: 'user-signin-' + u.name, i18n: u.password ? 'users.by_password' : 'users.by_token' }),
          h('td', { testid: 'user-disabled-' + u.name, i18n: u.disabled ? 'users.disabled_yes' : 'users.disabled_no' }),
          h('td', null, u.token_expires_at ? timeEl(u.token_expires_at, false) : '—'),
          h('td', { class: 'user-actions' },
            reset,
            h('button', { type: 'button', testid: 'user-toggle-' + u.name,
              i18n: u.disabled ? 'users.enable' : 'users.disable',
              onclick: function (ev) {
                change(u, { disabled: !u.disabled }, u.disabled ? 'users.enabled' : 'users.disabled', ev.target);
              } }),
            h('button', { type: 'button', class: 'danger', testid: 'user-remove-' + u.name, i18n: 'users.remove',
              onclick: function (ev) {
                if (!window.confirm(t('users.confirm_remove', { name: u.name }))) return;
                clearAlert();
                ev.target.disabled = true;
                api('DELETE', '/v1/users/' + enc(u.name)).then(function () {
                  return reload('users.removed', { name: u.name });
                }, function (err) { ev.target.disabled = false; showError(userError(err, u.name)); });
              } })));
      }

      var nName = h('input', { id: 'nu-name', testid: 'new-user-name', required: true, maxlength: '63',
        autocomplete: 'off', spellcheck: 'false' });
      var nRole = h('select', { id: 'nu-role', testid: 'new-user-role',
        onchange: function () { usccRow.hidden = nRole.value !== 'applicant'; } },
        ROLES.map(function (r) { return h('option', { value: r, tv: 'role|' + r }); }));
      nRole.value = 'reviewer';
      var nUscc = h('input', { id: 'nu-uscc', testid: 'new-user-uscc', maxlength: '18', autocomplete: 'off',
        spellcheck: 'false' });
      var usccRow = h('div', { class: 'field', hidden: true },
        h('label', { for: 'nu-uscc', i18n: 'users.uscc' }), nUscc);
      var nPass = h('input', { id: 'nu-pass', testid: 'new-user-password', type: 'password',
        autocomplete: 'new-password', 'aria-describedby': 'nu-pass-help' });
      var addForm = h('form', { class: 'card add-user', testid: 'new-user-form', novalidate: true,
        onsubmit: function (ev) {
          ev.preventDefault();
          clearAlert();
          var name = nName.value.trim();
          if (!name) { showError({ api: { code: 'missing', field: 'name', message: t('users.need_name') } }); return; }
          var body = { name: name, role: nRole.value };
          if (nRole.value === 'applicant') body.uscc = nUscc.value.trim();
          if (nPass.value) body.password = nPass.value;
          var btn = addForm.querySelector('button[type=submit]');
          btn.disabled = true;
          api('POST', '/v1/users', body).then(function (u) {
            return reload('users.added', { name: u.name }).then(function () {
              if (u.token) {
                var box = document.querySelector('[data-testid=users-token]');
                box.replaceChildren(T('users.token_once', { name: u.name }), ' ',
                  h('code', { testid: 'users-token-value', text: u.token }));
                box.hidden = false;
              }
            });
          }, function (err) { btn.disabled = false; showError(userError(err, name)); });
        } },
        h('h2', { i18n: 'users.add' }),
        h('div', { class: 'field' }, h('label', { for: 'nu-name', i18n: 'users.name' }), nName),
        h('div', { class: 'field' }, h('label', { for: 'nu-role', i18n: 'users.role' }), nRole),
        usccRow,
        h('div', { class: 'field' }, h('label', { for: 'nu-pass', i18n: 'users.password' }), nPass,
          h('p', { id: 'nu-pass-help', class: 'help', i18n: 'users.password_help' })),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', testid: 'new-user-submit', i18n: 'users.add_submit' })));

      var node = h('section', null,
        h('h1', { i18n: 'users.title' }),
        table('users-table', 'users.caption',
          ['users.name', 'users.role', 'users.uscc', 'users.signin', 'users.disabled_col', 'users.expiry',
            'users.actions'], users.map(row)),
        tokenBox,
        addForm);
      setView(seq, 'users', node);
    });
  }

  /* ---------- pools ---------- */

  var POOL_FIELDS = ['budget', 'available', 'reserved', 'awarded', 'paid', 'recovered', 'treasury'];

  function poolKey(p) { return p.program + '-' + p.pool + '-' + p.year; }

  /* The forecast of one pool, from GET /v1/forecast: the median dry day
   * and the 80 % interval, and a badge when it is flagged. */
  function forecastCell(f, k) {
    if (!f) return h('td', { testid: 'pool-forecast-' + k }, '—');
    var dry = f.dry_on || {};
    var text = f.status === 'runs_dry'
      ? T('fc.range', { p50: dry.p50, p10: dry.p10, p90: dry.p90 || t('fc.later') })
      : f.status === 'dry' ? T('fc.dry', { date: f.dry_since })
      : f.status === 'never' ? T('fc.never')
      : f.status === 'closed' ? T('fc.closed')
      : f.status === 'beyond_horizon' ? T('fc.beyond') : T('fc.none');
    /* waitlist: fit: the first refusal comes before the pool is dry */
    var refused = f.waitlist === 'fit' && f.status !== 'dry' && f.first_refusal && f.first_refusal.p50;
    return h('td', { testid: 'pool-forecast-' + k, 'data-status': f.status, 'data-p50': dry.p50 || '' },
      f.flagged ? h('span', { class: 'badge flag', testid: 'pool-flag-' + k },
        T('fc.flag', { date: f.status === 'dry' ? f.dry_since : dry.p50 })) : null,
      f.flagged ? ' ' : null, text,
      refused ? h('div', { class: 'help', testid: 'pool-refusal-' + k, 'data-date': refused },
        T('fc.fit_refusal', { date: refused })) : null);
  }

  /* What web/static/finance.js (payment batches, statements, exports) builds pages with. */
  function ui() {
    return { api: api, h: h, T: T, V: V, money: money, table: table, setView: setView, showError: showError,
      showNotice: showNotice, enc: enc, t: t, timeEl: timeEl, newKey: newKey, role: S.me ? S.me.role : '',
      token: S.token };
  }

  function viewPools(seq, parts) {
    var fc = S.me && S.me.role !== 'applicant'
      ? api('GET', '/v1/forecast').catch(function () { return null; }) : Promise.resolve(null);
    return Promise.all([api('GET', '/v1/report'), fc]).then(function (both) {
      var rep = both[0], forecast = both[1];
      var fcOf = {};
      ((forecast && forecast.pools) || []).forEach(function (f) { fcOf[poolKey(f)] = f; });
      var pools = rep.pools || [];
      var sel = null;
      if (parts.length >= 4) sel = { program: parts[1], pool: parts[2], year: parts[3] };
      else if (S.lastPool) sel = S.lastPool;
      else if (pools.length) sel = { program: pools[0].program, pool: pools[0].pool, year: String(pools[0].year) };
      if (sel && !pools.some(function (p) { return poolKey(p) === poolKey(sel); }) && pools.length) {
        sel = { program: pools[0].program, pool: pools[0].pool, year: String(pools[0].year) };
      }
      S.lastPool = sel;

      var programs = pools.map(function (p) { return p.program; })
        .filter(function (p, i, all) { return all.indexOf(p) === i; });
      var oneProgram = programs.length === 1;
      var rows = pools.map(function (p) {
        var k = poolKey(p);
        var selected = sel && poolKey(sel) === k;
        var apps = p.applications || {};
        var counts = STATES.filter(function (s) { return apps[s]; }).map(function (s) {
          return h('span', { class: 'count', testid: 'pool-apps-' + s + '-' + k },
            stateBadge(s), ' ', h('span', { class: 'n', text: String(apps[s]) }));
        });
        return h('tr', { testid: 'pool-row-' + k, class: selected ? 'selected' : null,
          'aria-current': selected ? 'true' : null },
          oneProgram ? null : h('td', null, h('code', { text: p.program })),
          h('th', { scope: 'row' },
            h('a', { href: '#/pools/' + enc(p.program) + '/' + enc(p.pool) + '/' + enc(p.year),
              testid: 'pool-select-' + k, ariaLabelKey: 'pools.show_chart',
              args: { pool: p.pool, year: p.year } }, V('pool', p.pool))),
          // A commitment pool is one row for its whole span of years.
          h('td', { class: 'num', text: p.commitment
            ? p.commitment.from + '\u2013' + p.commitment.until : String(p.year) }),
          POOL_FIELDS.map(function (f) {
            return h('td', { class: 'num' }, money(p[f], 'pool-' + f + '-' + k));
          }),
          h('td', { class: 'apps' }, counts.length ? counts : '—'),
          forecastCell(fcOf[k], k));
      });

      var chartBox = h('div', { class: 'chart-box' });
      var node = h('section', null,
        h('h1', { i18n: 'pools.title' }),
        h('p', { class: 'help', i18n: 'pools.help' }),
        oneProgram ? h('p', { class: 'program-line' }, T('col.program'), ': ',
          h('code', { testid: 'pools-program', text: programs[0] })) : null,
        table('pools-table', 'pools.title',
          (oneProgram ? [] : ['col.program']).concat(['col.pool', 'col.year']).concat(POOL_FIELDS.map(function (f) { return 'col.' + f; }))
            .concat(['col.applications', 'col.forecast']), rows),
        forecast ? h('p', { class: 'help', testid: 'forecast-note' },
          T('fc.note', { runs: forecast.runs, days: forecast.flag_within_days })) : null,
        window.QUAN_FINANCE ? window.QUAN_FINANCE.totals(ui(), rep) : null,
        selfReliance(rep.self_reliance),
        h('h2', { id: 'burndown-title' }, T('pools.burndown'), ' ',
          sel ? h('span', { class: 'sel', testid: 'burndown-selection' },
            V('pool', sel.pool), ' · ', sel.year, ' · ', h('code', { text: sel.program })) : null),
        chartBox);
      if (!setView(seq, 'pools', node)) return;
      if (!sel) { chartBox.appendChild(h('p', { i18n: 'pools.none' })); return; }
      return api('GET', '/v1/burndown?program=' + enc(sel.program) + '&pool=' + enc(sel.pool) +
        '&year=' + enc(sel.year)).then(function (bd) {
        if (seq !== S.seq) return;
        drawChart(chartBox, bd);
      }, function (err) {
        if (seq !== S.seq) return;
        showError(err);
      });
    });
  }

  function axisMoney(v) {
    return new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 2 }).format(v);
  }

  function drawChart(box, bd) {
    var pts = bd.points || [];
    var canvas = h('canvas', { id: 'burndown-chart', testid: 'burndown-chart', role: 'img',
      ariaLabelKey: 'chart.aria', args: { pool: bd.pool, year: bd.year, n: pts.length } });
    canvas.dataset.points = String(pts.length);
    var series = SERIES.filter(function (s) {
      return pts.some(function (p) { return p[s.key] !== undefined && p[s.key] !== null; });
    });
    box.replaceChildren.apply(box, [
      h('p', { class: 'budget' }, T('col.budget'), ': ', money(bd.budget, 'burndown-budget'), ' ',
        T('unit.yuan')),
      pts.length ? null : h('p', { class: 'help', testid: 'burndown-empty', i18n: 'chart.empty' }),
      h('div', { class: 'chart-frame' }, canvas),
      h('details', { class: 'chart-data' },
        h('summary', { i18n: 'chart.data' }),
        table('burndown-table', 'chart.data', ['col.at'].concat(series.map(function (s) { return 'col.' + s.key; })),
          pts.map(function (p) {
            return h('tr', null, h('td', null, timeEl(p.at)), series.map(function (s) {
              return h('td', { class: 'num' }, money(p[s.key]));
            }));
          })))].filter(Boolean));
    if (typeof window.Chart !== 'function') {
      showError({ api: { code: 'chart_missing', message: t('chart.missing') } });
      return;
    }
    /* The x axis spans the points; a single day gets a day either side. */
    var xs = pts.map(function (p) { return toMs(p.at); });
    var xmin = xs.length ? Math.min.apply(null, xs) : undefined;
    var xmax = xs.length ? Math.max.apply(null, xs) : undefined;
    if (xs.length && xmax - xmin < 3600000) { xmin -= 43200000; xmax += 43200000; }
    var datasets = series.map(function (s) {
      return {
        key: s.key,
        label: t('col.' + s.key),
        data: pts.map(function (p) { return { x: toMs(p.at), y: Number(p[s.key]), raw: p[s.key] }; }),
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2,
        pointRadius: 3,
        stepped: 'before',
        fill: false
      };
    });
    S.chart = new window.Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: xmin, max: xmax, ticks: { maxTicksLimit: 8, callback: function (v) {
            /* within two days the hour matters */
            return fmtTime(v, this.max - this.min < 2 * 86400000);
          } },
            title: { display: false } },
          y: { beginAtZero: true, ticks: { callback: axisMoney } }
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? fmtTime(items[0].parsed.x) : ''; },
              label: function (ctx) {
                return ctx.dataset.label + ': ' + fmtMoney(ctx.raw.raw) + ' ' + t('unit.yuan');
              }
            }
          }
        }
      }
    });
  }

  /* ---------- simulation (analyst) ---------- */

  var SIM_RUNS = [
    { key: 'burndown_baseline', label: 'sim.baseline', color: '#1f6feb', dash: [] },
    { key: 'burndown_reform', label: 'sim.reformed', color: '#cf222e', dash: [6, 4] }
  ];

  function viewSimulate(seq) {
    return Promise.all([
      api('GET', '/v1/programs'),
      fetch('/reforms/shanghai-rent-40.yaml').then(function (r) { return r.ok ? r.text() : ''; },
        function () { return ''; })
    ]).then(function (both) {
      var programs = both[0].programs || [];
      var result = h('div', { class: 'sim-result', testid: 'sim-result' });
      var program = h('select', { id: 'sim-program', testid: 'sim-program' },
        programs.map(function (p) { return h('option', { value: p.program, text: p.program }); }));
      var reform = h('textarea', { id: 'sim-reform', testid: 'sim-reform', rows: 12, cols: 72,
        spellcheck: 'false' });
      reform.value = both[1];
      var size = h('input', { id: 'sim-size', testid: 'sim-size', type: 'number', min: 1, max: 200000, value: 2000 });
      var seed = h('input', { id: 'sim-seed', testid: 'sim-seed', type: 'number', min: 0, value: 1 });
      var office = h('input', { id: 'sim-office', testid: 'sim-office', type: 'checkbox' });
      var form = h('form', { testid: 'sim-form', class: 'stack',
        onsubmit: function (ev) {
          ev.preventDefault();
          clearAlert();
          var body = { program: program.value, burndown: true,
            population: office.checked ? { from_office: true }
              : { synthetic: Number(size.value), seed: Number(seed.value) } };
          if (reform.value.trim()) { body.reform = reform.value; body.compare = true; }
          result.replaceChildren(h('p', { class: 'help', i18n: 'sim.run' }));
          applyI18n(result);
          api('POST', '/v1/simulate', body).then(function (res) {
            if (seq !== S.seq) return;
            simResult(result, res);
          }, function (err) { result.replaceChildren(); showError(err); });
        } },
        h('label', { for: 'sim-program', i18n: 'sim.program' }), program,
        h('label', { for: 'sim-reform', i18n: 'sim.reform' }), reform,
        h('label', { for: 'sim-size', i18n: 'sim.size' }), size,
        h('label', { for: 'sim-seed', i18n: 'sim.seed' }), seed,
        h('label', { class: 'check' }, office, ' ', T('sim.from_office')),
        h('button', { type: 'submit', class: 'primary', testid: 'sim-submit', i18n: 'sim.run' }));
      var node = h('section', null, h('h1', { i18n: 'sim.title' }),
        h('p', { class: 'help', i18n: 'sim.help' }), form, result);
      setView(seq, 'simulate', node);
    });
  }

  function simResult(box, res) {
    var rows = [];
    (res.pools || []).forEach(function (p) {
      var k = poolKey(p);
      var runs = p.baseline ? [['sim.baseline', p.baseline, 'baseline'], ['sim.reformed', p, 'reform']]
        : [[res.reformed ? 'sim.reformed' : 'sim.baseline', p, res.reformed ? 'reform' : 'baseline']];
      runs.forEach(function (r) {
        var q = r[1], id = r[2] + '-' + k;
        rows.push(h('tr', { testid: 'sim-row-' + id },
          h('th', { scope: 'row' }, V('pool', p.pool), ' · ', String(p.year)),
          h('td', null, T(r[0])),
          h('td', { class: 'num' }, money(q.budget, 'sim-budget-' + id)),
          h('td', { class: 'num' }, money(q.demand, 'sim-demand-' + id)),
          h('td', { class: 'num' }, money(q.awarded, 'sim-awarded-' + id)),
          h('td', { testid: 'sim-dry-' + id, text: q.dry_on || '—' })));
      });
    });
    var canvas = h('canvas', { id: 'sim-chart', testid: 'sim-chart', role: 'img' });
    var poolSel = h('select', { testid: 'sim-chart-pool', onchange: function () { draw(); } },
      (res.burndown_baseline || res.burndown_reform || []).map(function (p, i) {
        return h('option', { value: String(i), text: p.pool + ' · ' + p.year });
      }));
    box.replaceChildren(
      h('p', { testid: 'sim-applications' }, T('sim.applications', { n: res.applications })),
      table('sim-table', 'sim.table', ['col.pool', 'col.run', 'col.budget', 'col.demand', 'col.awarded', 'col.dry_on'], rows),
      h('h2', null, T('sim.chart'), ' ', poolSel),
      h('div', { class: 'chart-frame' }, canvas));
    applyI18n(box);
    function draw() {
      destroyChart();
      if (typeof window.Chart !== 'function') return;
      var i = Number(poolSel.value || 0);
      var datasets = SIM_RUNS.filter(function (r) { return res[r.key]; }).map(function (r) {
        var pts = (res[r.key][i] || {}).points || [];
        return { key: r.key, label: t(r.label),
          data: pts.map(function (pt) { return { x: toMs(pt.on + 'T00:00:00+08:00'), y: Number(pt.left), raw: pt.left }; }),
          borderColor: r.color, backgroundColor: r.color, borderDash: r.dash, borderWidth: 2,
          pointRadius: 0, stepped: 'after', fill: false };
      });
      canvas.dataset.series = String(datasets.length);
      S.chart = new window.Chart(canvas, {
        type: 'line', data: { datasets: datasets },
        options: { animation: false, responsive: true, maintainAspectRatio: false,
          scales: { x: { type: 'linear', ticks: { maxTicksLimit: 8, callback: function (v) { return fmtTime(v); } } },
            y: { beginAtZero: true, ticks: { callback: axisMoney } } },
          plugins: { legend: { position: 'bottom' },
            tooltip: { callbacks: { title: function (items) { return items.length ? fmtTime(items[0].parsed.x) : ''; },
              label: function (ctx) { return ctx.dataset.label + ': ' + fmtMoney(ctx.raw.raw) + ' ' + t('unit.yuan'); } } } } }
      });
    }
    draw();
  }

  /* ---------- queue ---------- */

  function viewQueue(seq, params) {
    var isApplicant = S.me.role === 'applicant';
    var state = params.has('state') ? params.get('state') : (isApplicant ? '' : 'reserved');
    var LIMIT = 200;
    var qs = 'limit=' + LIMIT + (state ? '&state=' + enc(state) : '');
    return api('GET', '/v1/applications?' + qs).then(function (res) {
      var list = res.applications || [];
      var select = h('select', { id: 'state-filter', testid: 'state-filter',
        onchange: function () { location.hash = '#/queue?state=' + enc(select.value); } },
        h('option', { value: '', i18n: 'queue.all' }),
        STATES.map(function (s) { return h('option', { value: s, tv: 'state|' + s }); }));
      select.value = state;
      function row(a) {
        var age = ageArgs(a.age_seconds);
        var href = '#/app/' + enc(a.id);
        return h('tr', { testid: 'queue-row-' + a.id, class: 'clickable',
          onclick: function (ev) { if (ev.target.tagName !== 'A') location.hash = href; } },
          h('th', { scope: 'row' }, h('a', { href: href, testid: 'queue-link-' + a.id, text: a.id })),
          h('td', null, a.client_ref ? h('code', { testid: 'queue-ref-' + a.id, text: a.client_ref }) : '—'),
          h('td', { text: a.name || a.uscc || '' }),
          h('td', null, h('code', { text: a.measure || '' })),
          h('td', { class: 'num' }, money(a.requested, 'queue-requested-' + a.id)),
          h('td', { class: 'num', text: a.rate === undefined || a.rate === null ? '—' : String(a.rate) }),
          h('td', null, flagList(a.flags)),
          h('td', null, a.received_at ? timeEl(a.received_at, true, 'queue-received-' + a.id) : '—'),
          h('td', { class: 'num' }, h('span', { i18n: age[0], args: age[1], testid: 'queue-age-' + a.id })),
          h('td', null, stateBadge(a.state, 'queue-state-' + a.id)));
      }
      var rows = list.map(row);
      var shown = list.length;
      var count = h('span', { class: 'count-total', testid: 'queue-count', i18n: 'queue.count',
        args: { n: shown } });
      /* Older pages: the server answers next_before (pass as ?before=) when it may have more. */
      var next = list.length === LIMIT ? res.next_before : null;
      var more = h('button', { type: 'button', testid: 'queue-more', i18n: 'queue.more', hidden: !next,
        onclick: function () {
          more.disabled = true;
          api('GET', '/v1/applications?' + qs + '&before=' + enc(next)).then(function (r2) {
            var l2 = r2.applications || [];
            var body = node.querySelector('[data-testid=queue-table] tbody');
            l2.forEach(function (a) { body.appendChild(row(a)); });
            shown += l2.length;
            count.dataset.i18nArgs = JSON.stringify({ n: shown });
            applyOne(count);
            next = l2.length === LIMIT ? r2.next_before : null;
            more.hidden = !next;
            more.disabled = false;
          }).catch(function (err) { more.disabled = false; showError(err); });
        } });
      var node = h('section', null,
        h('h1', { i18n: isApplicant ? 'queue.mine' : 'queue.title' }),
        h('form', { class: 'filters', onsubmit: function (ev) { ev.preventDefault(); } },
          h('label', { for: 'state-filter', i18n: 'queue.filter' }), select, count),
        list.length
          ? table('queue-table', isApplicant ? 'queue.mine' : 'queue.title',
            ['col.id', 'col.client_ref', 'col.applicant', 'col.measure', 'col.requested', 'col.rate',
              'col.flags', 'col.received_at', 'col.age', 'col.state'], rows)
          : h('p', { class: 'empty', testid: 'queue-empty', i18n: 'queue.empty' }),
        h('div', { class: 'actions' }, more));
      setView(seq, 'queue', node);
    });
  }

  function flagText(f) {
    if (f === null || f === undefined) return '';
    if (typeof f !== 'object') return String(f);
    return f.words || f.message || f.code || f.flag || f.rule || f.kind || JSON.stringify(f);
  }

  function flagList(flags) {
    if (!flags || !flags.length) return '—';
    return h('ul', { class: 'flags' }, flags.map(function (f) {
      var code = typeof f === 'object' && f ? (f.code || f.flag || f.kind || '') : String(f);
      return h('li', { class: 'flag', title: typeof f === 'object' ? JSON.stringify(f) : null },
        code ? V('flag', code) : flagText(f),
        typeof f === 'object' && f && (f.words || f.message) ? [': ', f.words ? Z(f, 'words') : f.message] : null);
    }));
  }

  /* ---------- one application ---------- */

  function viewApp(seq, id, notice) {
    return api('GET', '/v1/applications/' + enc(id)).then(function (a) {
      var node = h('section', { class: 'app' },
        h('p', { class: 'crumbs' }, h('a', { href: '#/queue', i18n: 'app.back' })),
        h('h1', null, T('app.title'), ' ', h('code', { testid: 'app-id', text: a.id })),
        dl([
          ['col.state', stateBadge(a.state, 'app-state')],
          a.client_ref ? ['col.client_ref', h('code', { testid: 'app-client-ref', text: a.client_ref })] : null,
          a.received_at ? ['col.received_at', timeEl(a.received_at, true, 'app-received-at')] : null,
          ['col.program', h('code', { text: a.program || '' })],
          ['col.measure', h('code', { text: a.measure || '' })],
          a.name || (a.applicant && a.applicant.name)
            ? ['col.applicant', a.name || a.applicant.name] : null,
          ['col.uscc', h('code', { text: a.uscc || '' })],
          ['col.requested', [money(a.requested, 'app-requested'), ' ', T('unit.yuan')]],
          ['col.awarded', [money(a.awarded, 'app-awarded'), ' ', T('unit.yuan')]],
          ['col.paid', [money(a.paid, 'app-paid'), ' ', T('unit.yuan')]],
          ['col.recovered', [money(a.recovered, 'app-recovered'), ' ', T('unit.yuan')]],
          a.remaining !== undefined
            ? ['col.remaining', [money(a.remaining, 'app-remaining'), ' ', T('unit.yuan')]] : null,
          a.approver || a.approved_by ? ['app.approved_by',
            h('span', { testid: 'app-approved-by', text: people(a.approved_by || a.approver) })] : null,
          ['col.policy', h('code', { class: 'hash', text: a.policy || '' })]
        ]),
        /* waiting.js: why a waitlisted application waits, and behind what */
        window.QuanWaiting ? window.QuanWaiting.section(a, { h: h, T: T, Z: Z, dl: dl, money: money }) : null,
        /* settle.js: a grant's tranches */
        window.QuanSettle ? window.QuanSettle.section(a, { h: h, T: T, table: table, money: money }) : null,
        actionsPanel(seq, a),
        a.application ? submittedView(a.application) : null,
        h('h2', { i18n: 'decision.title' }),
        a.decision ? decisionView(a.decision, 'app') : h('p', { i18n: 'decision.none' }),
        h('h2', { i18n: 'transfers.title' }),
        transfersView(a.transfers || []),
        h('h2', { i18n: 'history.title' }),
        historyView(a.history || []),
        /* evidence.js: the documents filed under it */
        window.QuanEvidence ? window.QuanEvidence.section(a, { h: h, T: T, t: t, timeEl: timeEl, S: S }) : null,
        /* letters.js: its letters to print */
        window.QuanLetters ? window.QuanLetters.section(a, { h: h, S: S, showError: showError }) : null);
      if (setView(seq, 'app', node) && notice) showNotice(notice[0], notice[1]);
    });
  }

  /* The contract as submitted, for the reviewer; the full JSON folded below it. */
  function submittedView(app) {
    var ct = app.contract || {}, su = app.supplier || {}, cp = ct.compute;
    return h('section', { class: 'submitted' },
      h('h2', { i18n: 'app.contract' }),
      dl([
        ['est.number', h('code', { text: ct.number || '' })],
        ct.kind ? ['est.kind', V('kind', ct.kind)] : null,
        ['est.value', [money(ct.value, 'app-contract-value'), ' ', T('unit.yuan')]],
        ['est.signed_on', ct.signed_on || '—'],
        ['est.term', ct.term_months === undefined ? '—' : String(ct.term_months)],
        ['app.supplier', [su.name || '', su.uscc ? [' ', h('code', { text: su.uscc })] : null]],
        cp ? ['est.compute', T('app.compute_line', { chip: cp.chip, n: cp.accelerators, hours: cp.hours,
          location: cp.location })] : null
      ]),
      h('details', null, h('summary', { i18n: 'app.raw' }),
        h('pre', { class: 'json', text: JSON.stringify(app, null, 2) })));
  }

  function people(v) {
    if (Array.isArray(v)) return v.map(people).join(', ');
    if (v && typeof v === 'object') return v.name || v.who || JSON.stringify(v);
    return v === null || v === undefined ? '' : String(v);
  }

  function field(id, labelKey, attrs) {
    return h('div', { class: 'field' },
      h('label', { for: id, i18n: labelKey }),
      h('input', Object.assign({ id: id, type: 'text', autocomplete: 'off' }, attrs || {})));
  }

  /* A key for one confirmed request that moves money (Idempotency-Key): a retry of that
   * confirmation (a lost answer, a double click) is answered from the server's record. */
  function newKey(prefix) {
    var b = new Uint8Array(12);
    window.crypto.getRandomValues(b);
    return prefix + '-' + Array.prototype.map.call(b, function (x) {
      return ('0' + x.toString(16)).slice(-2);
    }).join('');
  }

  /* The inline confirmation before a request that moves money (as finance.js's for a batch; no
   * window.confirm), placed after `at`: `say` (nodes) says what moves and how much, `amount` the
   * server's figure it shows (data-money, for the tests). Confirm calls yes(key), with one
   * Idempotency-Key made for this confirmation, and stays disabled unless yes's promise fails;
   * Cancel removes the box and sends nothing. One box is open on the page at a time. */
  function confirmMove(at, say, amount, yes) {
    var old = document.querySelector('[data-testid=confirm-box]');
    if (old) old.remove();
    var key = newKey('ui');
    var ok = h('button', { type: 'button', class: 'primary', testid: 'confirm-yes', i18n: 'confirm.yes',
      onclick: function () {
        ok.disabled = true;
        Promise.resolve(yes(key)).catch(function (err) { ok.disabled = false; showError(err); });
      } });
    var box = h('div', { class: 'confirm', role: 'alertdialog', testid: 'confirm-box',
      'data-money': amount === null || amount === undefined ? '' : String(amount) },
      h('p', { testid: 'confirm-text' }, say), ok, ' ',
      h('button', { type: 'button', testid: 'confirm-no', i18n: 'confirm.no',
        onclick: function () { box.remove(); if (at.focus) at.focus(); } }));
    at.insertAdjacentElement('afterend', box);
    ok.focus();
    return box;
  }

  /* After a confirmed request failed: a refusal (4xx) closes the confirmation, since what was
   * asked must change and a new one gets a new key; a lost answer (network, 5xx) leaves it open
   * with its key, so that confirming again is the same request, answered once. */
  function settleConfirm(err) {
    var box = document.querySelector('[data-testid=confirm-box]');
    if (!box) return;
    if (err && err.status >= 400 && err.status < 500) {
      box.remove();
    } else {
      var yes = box.querySelector('[data-testid=confirm-yes]');
      if (yes) yes.disabled = false;
    }
  }

  function actionsPanel(seq, a) {
    var role = S.me.role;
    var groups = [];
    var open = OPEN_STATES.indexOf(a.state) >= 0;

    /* A money-moving verb (key: its confirmation's Idempotency-Key) or another (no key). */
    function post(btn, path, body, doneKey, key) {
      var all = btn.closest('.actions-panel').querySelectorAll('button');
      all.forEach(function (b) { b.disabled = true; });
      busy(seq);
      return api('POST', '/v1/applications/' + enc(a.id) + '/' + path, body,
        key ? { 'Idempotency-Key': key } : undefined).then(function (res) {
        if (seq !== S.seq) return;
        return viewApp(seq, a.id, [doneKey, { state: res && res.state ? tv('state', res.state) : '' }]);
      }).catch(function (err) {
        if (seq !== S.seq) return;
        all.forEach(function (b) { b.disabled = false; });
        $('view').setAttribute('aria-busy', 'false');
        settleConfirm(err);
        showError(err);
      });
    }

    function need(input, key) {
      if (input.value.trim()) return true;
      showError({ api: { code: 'missing', message: t(key) } });
      input.focus();
      return false;
    }

    if (role === 'reviewer' && open) {
      if (a.state !== 'waitlisted') {
        groups.push(h('form', { class: 'action', testid: 'approve-form', onsubmit: function (ev) {
          ev.preventDefault();
          var body = {};
          var rate = this.querySelector('#approve-rate').value.trim();
          var val = this.querySelector('#approve-value').value.trim();
          if (rate) body.rate = rate;
          if (val) body.approved_value = val;
          var btn = this.querySelector('button');
          confirmMove(btn, rate || val
            ? T('confirm.approve_at', { id: a.id, amount: fmtMoney(a.requested), rate: rate || '—', value: val || '—' })
            : T('confirm.approve', { id: a.id, amount: fmtMoney(a.requested) }), a.requested, function (key) {
            return post(btn, 'approve', body, 'done.approve', key);
          });
        } },
          h('h3', { i18n: 'action.approve' }),
          field('approve-rate', 'action.rate', { placeholderKey: 'action.rate_ph', testid: 'approve-rate' }),
          field('approve-value', 'action.approved_value', { placeholderKey: 'action.money_ph',
            testid: 'approve-value', inputmode: 'decimal' }),
          h('button', { type: 'submit', class: 'primary', id: 'approve', testid: 'approve',
            i18n: 'action.approve' })));
      }
      groups.push(h('form', { class: 'action', testid: 'reject-form', onsubmit: function (ev) {
        ev.preventDefault();
        var why = this.querySelector('#reject-reason');
        if (!need(why, 'action.reason_needed')) return;
        var btn = this.querySelector('button'), body = { why: why.value.trim() };
        /* settle.js: what returns to the pool, said before it does */
        if (window.QuanSettle) {
          window.QuanSettle.confirmRelease(a, 'reject', btn, { T: T, confirmMove: confirmMove, fmtMoney: fmtMoney },
            function () { return post(btn, 'reject', body, 'done.reject'); });
        } else post(btn, 'reject', body, 'done.reject');
      } },
        h('h3', { i18n: 'action.reject' }),
        field('reject-reason', 'action.reason', { testid: 'reject-reason', required: true }),
        h('button', { type: 'submit', class: 'danger', id: 'reject', testid: 'reject',
          i18n: 'action.reject' })));
    }
    var kind = a.application && a.application.contract ? a.application.contract.kind : null;
    if (role === 'reviewer' && a.state === 'awarded' && (kind === 'grant' || kind === null)) {
      groups.push(h('form', { class: 'action', testid: 'milestone-form', onsubmit: function (ev) {
        ev.preventDefault();
        var year = this.querySelector('#milestone-year');
        var what = this.querySelector('#milestone-what');
        if (!need(year, 'action.year_needed') || !need(what, 'action.what_needed')) return;
        var btn = this.querySelector('button');
        var body = { year: parseInt(year.value, 10), what: what.value.trim() };
        var remaining = fmtMoney(a.remaining === undefined ? a.awarded : a.remaining);
        /* settle.js: the tranche this milestone posts, with its amount */
        var tr = window.QuanSettle && a.tranches ? window.QuanSettle.trancheOf(a, body.year) : undefined;
        if (tr === null || (tr && tr.state !== 'open')) {
          showError({ api: { code: 'invalid', message: t('tr.none_open', { year: body.year }) } });
          year.focus();
          return;
        }
        confirmMove(btn, tr
          ? T('confirm.milestone_tranche', { id: a.id, year: body.year, amount: fmtMoney(tr.amount),
            awarded: fmtMoney(a.awarded), remaining: remaining })
          : T('confirm.milestone', { id: a.id, year: body.year, amount: fmtMoney(a.awarded), remaining: remaining }),
        tr ? tr.amount : a.awarded, function (key) {
          return post(btn, 'milestones', body, 'done.milestone', key);
        });
      } },
        h('h3', { i18n: 'action.milestone' }),
        field('milestone-year', 'action.year', { inputmode: 'numeric', testid: 'milestone-year',
          value: window.QuanSettle && window.QuanSettle.nextOpen(a) !== null ? String(window.QuanSettle.nextOpen(a)) : '' }),
        field('milestone-what', 'action.what', { testid: 'milestone-what' }),
        h('button', { type: 'submit', id: 'milestone', testid: 'milestone', i18n: 'action.milestone' })));
    }
    /* settle.js: the reviewer's settlement of an awarded application that is not a grant */
    var settle = window.QuanSettle ? window.QuanSettle.action(a, { h: h, T: T, field: field, need: need,
      confirmMove: confirmMove, fmtMoney: fmtMoney, post: post, role: role }) : null;
    if (settle) groups.push(settle);
    if (role === 'finance' && a.state === 'awarded') {
      groups.push(h('form', { class: 'action', testid: 'disburse-form', onsubmit: function (ev) {
        ev.preventDefault();
        var amt = this.querySelector('#disburse-amount');
        if (!need(amt, 'action.amount_needed')) return;
        var btn = this.querySelector('button'), amount = amt.value.trim();
        confirmMove(btn, T('confirm.disburse', { id: a.id, amount: fmtMoney(amount), name: a.name || a.uscc || '',
          remaining: fmtMoney(a.remaining === undefined ? a.awarded : a.remaining) }), amount, function (key) {
          return post(btn, 'disburse', { amount: amount }, 'done.disburse', key);
        });
      } },
        h('h3', { i18n: 'action.disburse' }),
        field('disburse-amount', 'action.amount', { placeholderKey: 'action.money_ph',
          testid: 'disburse-amount', inputmode: 'decimal' }),
        h('button', { type: 'submit', class: 'primary', id: 'disburse', testid: 'disburse',
          i18n: 'action.disburse' })));
      groups.push(h('form', { class: 'action', testid: 'clawback-form', onsubmit: function (ev) {
        ev.preventDefault();
        var amt = this.querySelector('#clawback-amount');
        var why = this.querySelector('#clawback-reason');
        if (!need(amt, 'action.amount_needed') || !need(why, 'action.reason_needed')) return;
        var btn = this.querySelector('button'), body = { amount: amt.value.trim(), why: why.value.trim() };
        confirmMove(btn, T('confirm.clawback', { id: a.id, amount: fmtMoney(body.amount), paid: fmtMoney(a.paid) }),
          body.amount, function (key) {
            return post(btn, 'clawback', body, 'done.clawback', key);
          });
      } },
        h('h3', { i18n: 'action.clawback' }),
        field('clawback-amount', 'action.amount', { placeholderKey: 'action.money_ph',
          testid: 'clawback-amount', inputmode: 'decimal' }),
        field('clawback-reason', 'action.reason', { testid: 'clawback-reason' }),
        h('button', { type: 'submit', class: 'danger', id: 'clawback', testid: 'clawback',
          i18n: 'action.clawback' })));
    }
    if ((role === 'applicant' || role === 'administrator') && open) {
      groups.push(h('form', { class: 'action', testid: 'withdraw-form', onsubmit: function (ev) {
        ev.preventDefault();
        var btn = this.querySelector('button');
        if (window.QuanSettle) {
          window.QuanSettle.confirmRelease(a, 'withdraw', btn, { T: T, confirmMove: confirmMove, fmtMoney: fmtMoney },
            function () { return post(btn, 'withdraw', undefined, 'done.withdraw'); });
        } else post(btn, 'withdraw', undefined, 'done.withdraw');
      } },
        h('h3', { i18n: 'action.withdraw' }),
        h('p', { class: 'help', i18n: 'action.withdraw_help' }),
        h('button', { type: 'submit', class: 'danger', id: 'withdraw', testid: 'withdraw',
          i18n: 'action.withdraw' })));
    }
    if (!groups.length) return null;
    return h('section', { class: 'actions-panel', 'aria-labelledby': 'actions-title', testid: 'actions' },
      h('h2', { id: 'actions-title', i18n: 'actions.title' }),
      h('div', { class: 'action-grid' }, groups));
  }

  function decisionView(d, prefix) {
    var yes = d.eligible === true;
    var root = h('div', { class: 'decision', testid: prefix + '-decision' },
      dl([
        ['decision.eligible', h('span', { class: 'badge ' + (yes ? 'ok' : 'no'),
          testid: prefix + '-eligible', 'data-eligible': String(!!d.eligible),
          i18n: yes ? 'yes' : 'no' })],
        ['col.measure', h('code', { text: d.measure || '' })],
        ['col.rate', h('span', { testid: prefix + '-rate',
          text: d.rate || (d.rate_bp !== undefined ? d.rate_bp + ' bp' : '—') })],
        ['decision.base', [money(d.base, prefix + '-base'), ' ', T('unit.yuan')]],
        ['decision.gross', [money(d.gross, prefix + '-gross'), ' ', T('unit.yuan')]],
        ['decision.amount', [money(d.amount, prefix + '-amount'), ' ', T('unit.yuan')]],
        d.received_at ? [prefix === 'estimate' ? 'decision.received_at_est' : 'col.received_at',
          timeEl(d.received_at, true, prefix + '-received-at')] : null,
        d.values_on ? ['decision.values_on', d.values_on] : null,
        d.policy ? ['col.policy', h('code', { class: 'hash', text: d.policy })] : null
      ]));
    if (d.caps && d.caps.length) {
      add(root, h('h3', { i18n: 'decision.caps' }));
      add(root, table(prefix + '-caps', 'decision.caps', ['col.rule', 'decision.limit', 'decision.cut'],
        d.caps.map(function (c) {
          return h('tr', null, h('td', null, h('code', { text: c.rule || '' })),
            h('td', { class: 'num' }, money(c.limit)), h('td', { class: 'num' }, money(c.cut)));
        })));
    }
    if (d.reasons && d.reasons.length) {
      add(root, h('h3', { i18n: 'decision.reasons' }));
      add(root, h('ul', { class: 'reasons', testid: prefix + '-reasons' }, d.reasons.map(function (r) {
        if (r && typeof r === 'object' && (r.words || r.says)) return h('li', null, Z(r, r.words ? 'words' : 'says'));
        return h('li', { text: typeof r === 'object' ? (r.message || JSON.stringify(r)) : String(r) });
      })));
    }
    if (d.flags && d.flags.length) {
      add(root, h('h3', { i18n: 'col.flags' }));
      add(root, flagList(d.flags));
    }
    if (d.scope_note) add(root, h('p', { class: 'help', text: d.scope_note }));
    else if (d.note) add(root, h('p', { class: 'help' }, Z(d, 'note')));
    add(root, h('h3', { i18n: 'decision.trace' }));
    add(root, h('ol', { class: 'trace', testid: prefix + '-trace' }, (d.trace || []).map(function (s) {
      var outcome = s.outcome || '';
      return h('li', { class: 'step outcome-' + outcome },
        h('p', { class: 'words' }, outcome ? [V('outcome', outcome, { class: 'badge' }), ' '] : null,
          s.words && s.words !== outcome ? Z(s, 'words', { class: 'words-text' }) : null),
        h('p', { class: 'rule' }, T('trace.rule'), ' ', h('code', { text: s.rule || '' }),
          s.at ? [' · ', h('code', { class: 'at', text: s.at })] : null),
        s.assumption ? h('p', { class: 'assumption' }, T('trace.assumption'), ' ', Z(s, 'assumption')) : null);
    })));
    return root;
  }

  function transfersView(list) {
    if (!list.length) return h('p', { class: 'empty', i18n: 'transfers.none' });
    var cols = ['id', 'kind', 'from', 'to', 'amount', 'pending_id', 'at'].filter(function (c) {
      return list.some(function (x) { return x[c] !== undefined; });
    });
    return table('transfers', 'transfers.title', cols.map(function (c) { return 'transfer.' + c; }),
      list.map(function (x) {
        return h('tr', null, cols.map(function (c) {
          var v = x[c];
          if (c === 'amount') return h('td', { class: 'num' }, money(v));
          if (c === 'kind') return h('td', null, V('tkind', v));
          if (c === 'at' && v !== null && v !== undefined) return h('td', null, timeEl(v));
          return h('td', null, v === null || v === undefined ? '—' : h('code', { text: String(v) }));
        }));
      }));
  }

  function detailText(d) {
    if (d === null || d === undefined) return '';
    if (typeof d !== 'object') return String(d);
    return Object.keys(d).map(function (k) {
      var v = d[k];
      return k + ': ' + (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
    }).join(' · ');
  }

  /* The same detail in Chinese: each key by its label (dk.), a state by its name, true and
   * false as 是 and 否; ids, numbers and dates as they are. */
  function detailTextZh(d) {
    function zv(group, v) {
      var key = group + '.' + v;
      return key in DICT.zh ? String(DICT.zh[key]) : String(v);
    }
    function val(k, v) {
      if (v === null || v === undefined) return '—';
      if (typeof v === 'boolean') return zv('bool', v);
      if (Array.isArray(v)) return '[' + v.map(function (x) { return val(k, x); }).join(', ') + ']';
      if (typeof v === 'object') return '{' + pairs(v) + '}';
      if (k === 'state' || k === 'outcome') return zv('state', v);
      return String(v);
    }
    function pairs(o) {
      return Object.keys(o).filter(function (k) { return !/_zh$/.test(k); }).map(function (k) {
        return zv('dk', k) + '：' + val(k, typeof o[k + '_zh'] === 'string' ? o[k + '_zh'] : o[k]);
      }).join(' · ');
    }
    if (d === null || d === undefined) return '';
    if (typeof d !== 'object') return String(d);
    return pairs(d);
  }

  function historyView(list) {
    if (!list.length) return h('p', { class: 'empty', i18n: 'history.none' });
    return table('history', 'history.title', ['history.at', 'history.who', 'history.action', 'history.detail'],
      list.map(function (e) {
        return h('tr', null,
          h('td', null, e.at !== undefined ? timeEl(e.at) : '—'),
          h('td', { text: e.who || '' }),
          h('td', null, V('act', e.action)),
          h('td', { class: 'detail', names: { en: detailText(e.detail), zh: detailTextZh(e.detail) } }));
      }));
  }

  /* ---------- estimate ---------- */

  /* The form's starting values: an example contract. No application number and no time: the
   * office numbers an application and stamps it from its own clock when it receives it. The
   * client reference (the applicant's own, optional) starts empty. */
  var EST_DEFAULTS = {
    client_ref: '',
    uscc: '91310115MA1K4ABCDD', name: '示例智能科技（上海）有限公司', city: 'shanghai',
    industry: 'I65', sme: true, startup: false, registered_model: false, bad_credit: '',
    controllers: '310101198001010018',
    sup_uscc: '91310104MA1FR5T2K1', sup_name: '上海智算调度科技有限公司', sup_listed: true,
    sup_controllers: '310104197505050026',
    number: 'HT-2025-0456', value: '1200000.00', signed_on: '2025-08-15', term: '12',
    uses_model: false, chip: 'ascend-910c', accelerators: '64', hours: '4000', location: 'shanghai'
  };

  function programsP() {
    if (S.programs) return Promise.resolve(S.programs);
    return api('GET', '/v1/programs').then(function (r) { S.programs = r.programs || []; return S.programs; });
  }

  /* The drop-down lists of the form (GET /v1/choices): cities, industry codes, chips. */
  function choicesP() {
    if (S.choices) return Promise.resolve(S.choices);
    return api('GET', '/v1/choices').then(function (r) { S.choices = r; return r; });
  }

  function viewEstimate(seq) {
    return Promise.all([programsP(), choicesP()]).then(function (got) {
      var programs = got[0], C = got[1];
      var D = Object.assign({}, EST_DEFAULTS);
      if (S.me.role === 'applicant' && S.me.uscc) { D.uscc = S.me.uscc; D.name = S.me.name || D.name; }

      function inp(id, key, value, attrs) {
        return field(id, key, Object.assign({ value: value, testid: id }, attrs || {}));
      }
      function check(id, key, value) {
        return h('div', { class: 'field check' },
          h('input', { id: id, type: 'checkbox', checked: value, testid: id }),
          h('label', { for: id, i18n: key }));
      }
      function sel(id, key) {
        return h('div', { class: 'field' }, h('label', { for: id, i18n: key }),
          h('select', { id: id, testid: id }));
      }
      /* A select of the server's choices, value chosen; opts: [{value, names|text}]. */
      function choice(id, key, value, opts) {
        var s = h('select', { id: id, testid: id },
          opts.map(function (o) {
            return h('option', { value: o.value, names: o.names, text: o.text });
          }));
        s.value = value;
        return h('div', { class: 'field' }, h('label', { for: id, i18n: key }), s);
      }
      var cityOpts = (C.cities || []).map(function (c) {
        return { value: c.id, names: { en: c.name, zh: c.name_zh || c.name } };
      });
      var industryOpts = (C.industries || []).map(function (c) {
        return { value: c.code, names: { en: c.code + ' ' + c.name, zh: c.code + ' ' + c.name_zh } };
      });
      var chipOpts = (C.chips || []).map(function (c) {
        return { value: c.id, text: c.name + ' (' + c.id + ')' };
      });

      var form = h('form', { id: 'estimate-form', class: 'estimate', novalidate: true,
        onsubmit: function (ev) { ev.preventDefault(); submit('estimate'); } },
        h('fieldset', null, h('legend', { i18n: 'est.application' }),
          h('div', { class: 'grid' },
            sel('est-program', 'col.program'),
            sel('est-measure', 'col.measure'),
            inp('est-client-ref', 'est.client_ref', D.client_ref,
              { maxlength: '64', spellcheck: 'false', autocapitalize: 'off',
                'aria-describedby': 'est-client-ref-help' })),
          h('p', { id: 'est-client-ref-help', class: 'help', i18n: 'est.client_ref_help' })),
        h('fieldset', null, h('legend', { i18n: 'est.applicant' }),
          h('div', { class: 'grid' },
            inp('est-uscc', 'col.uscc', D.uscc, { maxlength: '18' }),
            inp('est-name', 'est.name', D.name),
            choice('est-city', 'est.city', D.city, cityOpts),
            choice('est-industry', 'est.industry', D.industry, industryOpts),
            inp('est-bad-credit', 'est.bad_credit', D.bad_credit, { type: 'date' }),
            inp('est-controllers', 'est.controllers', D.controllers, { placeholderKey: 'est.list_ph' }),
            check('est-sme', 'est.sme', D.sme),
            check('est-startup', 'est.startup', D.startup),
            check('est-registered-model', 'est.registered_model', D.registered_model))),
        h('fieldset', null, h('legend', { i18n: 'est.supplier' }),
          h('div', { class: 'grid' },
            inp('sup-uscc', 'col.uscc', D.sup_uscc, { maxlength: '18' }),
            inp('sup-name', 'est.name', D.sup_name),
            inp('sup-controllers', 'est.controllers', D.sup_controllers, { placeholderKey: 'est.list_ph' }),
            check('sup-listed', 'est.platform_listed', D.sup_listed))),
        h('fieldset', null, h('legend', { i18n: 'est.contract' }),
          h('div', { class: 'grid' },
            inp('ct-number', 'est.number', D.number),
            sel('ct-kind', 'est.kind'),
            inp('ct-value', 'est.value', D.value, { inputmode: 'decimal', placeholderKey: 'action.money_ph' }),
            inp('ct-signed-on', 'est.signed_on', D.signed_on, { type: 'date' }),
            inp('ct-term', 'est.term', D.term, { type: 'number', min: '1', step: '1' }),
            check('ct-uses-model', 'est.uses_model', D.uses_model),
            check('ct-has-compute', 'est.has_compute', true))),
        h('fieldset', { id: 'compute-fields' }, h('legend', { i18n: 'est.compute' }),
          h('div', { class: 'grid' },
            choice('cp-chip', 'est.chip', D.chip, chipOpts),
            inp('cp-accelerators', 'est.accelerators', D.accelerators, { type: 'number', min: '1', step: '1' }),
            inp('cp-hours', 'est.hours', D.hours, { type: 'number', min: '1', step: '1' }),
            inp('cp-location', 'est.location', D.location))));

      /* Estimates only: decide as if the office had received the application then (?at=);
       * empty: the office's now. A submitted application is stamped by the office itself. */
      var atField = h('div', { class: 'field est-at' },
        h('label', { for: 'est-at', i18n: 'est.at' }),
        h('input', { id: 'est-at', testid: 'est-at', type: 'datetime-local', step: '1',
          autocomplete: 'off', 'aria-describedby': 'est-at-help' }),
        h('p', { id: 'est-at-help', class: 'help', i18n: 'est.at_help' }));

      var raw = h('div', { id: 'raw-mode', hidden: true },
        h('label', { for: 'estimate-json', i18n: 'est.raw_label' }),
        h('textarea', { id: 'estimate-json', testid: 'estimate-json', rows: '24', spellcheck: 'false' }));

      var result = h('div', { id: 'estimate-result', testid: 'estimate-result', 'aria-live': 'polite' });
      var mode = 'form';
      var modeForm = h('button', { type: 'button', testid: 'mode-form', 'aria-pressed': 'true',
        i18n: 'est.mode_form', onclick: function () { setMode('form'); } });
      var modeJson = h('button', { type: 'button', testid: 'mode-json', 'aria-pressed': 'false',
        i18n: 'est.mode_json', onclick: function () { setMode('json'); } });

      var canApply = S.me.role === 'applicant' || S.me.role === 'administrator';
      var node = h('section', null,
        h('h1', { i18n: 'est.title' }),
        h('p', { class: 'help', i18n: 'est.help' }),
        h('div', { class: 'mode-switch', role: 'group', ariaLabelKey: 'est.mode' }, modeForm, modeJson),
        form, raw, atField,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', testid: 'estimate-submit', id: 'estimate-submit',
            i18n: 'est.submit', onclick: function () { submit('estimate'); } }),
          canApply ? h('button', { type: 'button', testid: 'apply-submit', id: 'apply-submit',
            i18n: 'est.apply', onclick: function () { submit('apply'); } }) : null),
        result);

      var q = function (id) { return node.querySelector('#' + id); };

      function fillPrograms() {
        var ps = q('est-program');
        ps.replaceChildren.apply(ps, programs.map(function (p) {
          return h('option', { value: p.program, text: p.program + (p.name ? ' — ' + p.name : '') });
        }));
        fillMeasures();
      }
      function currentProgram() {
        var id = q('est-program').value;
        return programs.filter(function (p) { return p.program === id; })[0] || { measures: [] };
      }
      function currentMeasure() {
        var id = q('est-measure').value;
        return (currentProgram().measures || []).filter(function (m) { return m.id === id; })[0] || { kinds: [] };
      }
      function fillMeasures() {
        var ms = q('est-measure');
        ms.replaceChildren.apply(ms, (currentProgram().measures || []).map(function (m) {
          // The measure's own name (the policy's, in Chinese) says more than its pool's id.
          return h('option', { value: m.id, text: m.id + (m.name ? ' — ' + m.name : m.pool ? ' (' + m.pool + ')' : '') });
        }));
        fillKinds();
      }
      function fillKinds() {
        var m = currentMeasure();
        var ks = q('ct-kind');
        ks.replaceChildren.apply(ks, (m.kinds || []).map(function (k) {
          return h('option', { value: k, tv: 'kind|' + k });
        }));
        q('ct-has-compute').checked = m.pool === 'compute';
        syncCompute();
      }
      function syncCompute() {
        q('compute-fields').disabled = !q('ct-has-compute').checked;
        q('compute-fields').classList.toggle('off', !q('ct-has-compute').checked);
      }
      q('est-program').addEventListener('change', fillMeasures);
      q('est-measure').addEventListener('change', fillKinds);
      q('ct-has-compute').addEventListener('change', syncCompute);

      function listOf(s) { return s.split(/[\s,，;；]+/).filter(Boolean); }
      function int(s) { var n = parseInt(s, 10); return isNaN(n) ? s : n; }
      function v(id) { return q(id).value.trim(); }

      function build() {
        var o = {};
        if (v('est-client-ref')) o.client_ref = v('est-client-ref');
        return Object.assign(o, {
          program: v('est-program'),
          measure: v('est-measure'),
          applicant: {
            uscc: v('est-uscc'),
            name: v('est-name'),
            registered_city: v('est-city'),
            industry: v('est-industry'),
            sme: q('est-sme').checked,
            startup: q('est-startup').checked,
            registered_model: q('est-registered-model').checked,
            last_bad_credit_on: v('est-bad-credit') || null,
            controllers: listOf(v('est-controllers'))
          },
          supplier: {
            uscc: v('sup-uscc'),
            name: v('sup-name'),
            platform_listed: q('sup-listed').checked,
            controllers: listOf(v('sup-controllers'))
          },
          contract: {
            number: v('ct-number'),
            kind: v('ct-kind'),
            value: v('ct-value'),
            signed_on: v('ct-signed-on'),
            term_months: int(v('ct-term')),
            uses_registered_model: q('ct-uses-model').checked,
            other_subsidies: [],
            compute: q('ct-has-compute').checked ? {
              chip: v('cp-chip'),
              accelerators: int(v('cp-accelerators')),
              hours: int(v('cp-hours')),
              location: v('cp-location')
            } : null
          }
        });
      }

      /* The estimate's hypothetical time of receipt, in the office's calendar (Beijing time,
       * UTC+8, as the picker's label says): "" for the office's now. */
      function atParam() {
        var at = v('est-at');
        if (!at) return '';
        if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(at)) at += ':00';
        if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(at)) at += '+08:00';
        return at;
      }

      function setVal(id, val) {
        if (val === undefined || val === null) return;
        var el = q(id);
        /* A value a drop-down does not offer is kept as it is, not lost. */
        if (el.tagName === 'SELECT' && !Array.prototype.some.call(el.options,
          function (o) { return o.value === String(val); })) {
          el.appendChild(h('option', { value: String(val), text: String(val) }));
        }
        el.value = String(val);
      }
      function setChk(id, val) { if (typeof val === 'boolean') q(id).checked = val; }

      /* Best effort: raw JSON back into the form (fields it does not know stay in the JSON only). */
      function load(o) {
        var ap = o.applicant || {}, su = o.supplier || {}, ct = o.contract || {}, cp = ct.compute;
        if (o.program) { q('est-program').value = o.program; fillMeasures(); }
        if (o.measure) { q('est-measure').value = o.measure; fillKinds(); }
        q('est-client-ref').value = typeof o.client_ref === 'string' ? o.client_ref : '';
        setVal('est-uscc', ap.uscc); setVal('est-name', ap.name); setVal('est-city', ap.registered_city);
        setVal('est-industry', ap.industry); q('est-bad-credit').value = ap.last_bad_credit_on || '';
        if (Array.isArray(ap.controllers)) setVal('est-controllers', ap.controllers.join(', '));
        setChk('est-sme', ap.sme); setChk('est-startup', ap.startup);
        setChk('est-registered-model', ap.registered_model);
        setVal('sup-uscc', su.uscc); setVal('sup-name', su.name); setChk('sup-listed', su.platform_listed);
        if (Array.isArray(su.controllers)) setVal('sup-controllers', su.controllers.join(', '));
        setVal('ct-number', ct.number); setVal('ct-kind', ct.kind); setVal('ct-value', ct.value);
        setVal('ct-signed-on', ct.signed_on); setVal('ct-term', ct.term_months);
        setChk('ct-uses-model', ct.uses_registered_model);
        q('ct-has-compute').checked = !!cp;
        if (cp) {
          setVal('cp-chip', cp.chip); setVal('cp-accelerators', cp.accelerators);
          setVal('cp-hours', cp.hours); setVal('cp-location', cp.location);
        }
        syncCompute();
      }

      function setMode(m) {
        if (m === mode) return;
        if (m === 'json') {
          q('estimate-json').value = JSON.stringify(build(), null, 2);
        } else {
          try { load(JSON.parse(q('estimate-json').value)); } catch (e) { /* keep the form as it was */ }
        }
        mode = m;
        form.hidden = m !== 'form';
        raw.hidden = m !== 'json';
        modeForm.setAttribute('aria-pressed', String(m === 'form'));
        modeJson.setAttribute('aria-pressed', String(m === 'json'));
      }

      function submit(what) {
        clearAlert();
        var body;
        if (mode === 'json') {
          body = q('estimate-json').value;
          try { JSON.parse(body); } catch (e) {
            showError({ api: { code: 'invalid_json', message: t('est.bad_json') + ' ' + e.message } });
            return;
          }
        } else {
          body = build();
        }
        var buttons = node.querySelectorAll('.actions button');
        buttons.forEach(function (b) { b.disabled = true; });
        result.replaceChildren();
        var at = atParam();
        var p = what === 'estimate'
          ? api('POST', '/v1/estimate' + (at ? '?at=' + enc(at) : ''), body)
          : api('POST', '/v1/applications', body);
        p.then(function (res) {
          if (what === 'estimate') {
            result.replaceChildren(h('h2', { i18n: 'est.result' }), decisionView(res, 'estimate'));
          } else {
            result.replaceChildren(h('h2', { i18n: 'est.applied' }),
              dl([
                ['col.id', h('a', { href: '#/app/' + enc(res.id), testid: 'applied-link', text: res.id })],
                ['col.client_ref', res.client_ref
                  ? h('code', { testid: 'applied-client-ref', text: res.client_ref })
                  : h('span', { testid: 'applied-client-ref', text: '—' })],
                ['col.received_at', timeEl(res.received_at, true, 'applied-received-at')],
                ['col.state', stateBadge(res.state, 'applied-state')],
                ['decision.amount', [money(res.amount, 'applied-amount'), ' ', T('unit.yuan')]],
                res.existed ? ['est.existed', T('yes', null, { testid: 'applied-existed' })] : null
              ]));
          }
        }).catch(showError).then(function () {
          buttons.forEach(function (b) { b.disabled = false; });
        });
      }

      fillPrograms();
      setView(seq, 'estimate', node);
    });
  }

  /* ---------- pages in files of their own (desk.js, compare.js) ---------- */

  /* A page file loaded before this one pushes function (kit) onto window.QUAN_EXT; each is
   * called once at start with what it needs from here, and registers its views (route name ->
   * function (seq, parts, params) returning a promise) and its nav entries (function (role)
   * returning [route, i18n key] or null). */
  var EXT = { views: {}, nav: [] };

  function loadExtensions() {
    var kit = {
      S: S, t: t, h: h, T: T, V: V, api: api, enc: enc, setView: setView, table: table, dl: dl,
      timeEl: timeEl, money: money, fmtMoney: fmtMoney, showError: showError, clearAlert: clearAlert,
      showNotice: showNotice, applyI18n: applyI18n, choicesP: choicesP, compareResult: compareResult,
      EXAMPLE_PROFILE: EXAMPLE_PROFILE,
      /* queue.js: the confirmation, the list's cells, and app.js's own list for an applicant */
      confirmMove: confirmMove, newKey: newKey, stateBadge: stateBadge, flagList: flagList, ageArgs: ageArgs,
      appQueue: viewQueue, busy: busy,
      view: function (name, fn) { EXT.views[name] = fn; },
      nav: function (fn) { EXT.nav.push(fn); }
    };
    (window.QUAN_EXT || []).forEach(function (f) { f(kit); });
  }

  /* What a page from another script (notice.js) may use of the dashboard. */
  var PAGE_KIT = {
    api: api, h: h, T: T, t: t, setView: setView, showError: showError,
    showNotice: showNotice, enc: enc, money: money, stateBadge: stateBadge,
    table: table, me: function () { return S.me; },
    lang: function () { return S.lang; }, token: function () { return S.token; },
    csrf: function () { return S.csrf; }, confirmMove: confirmMove, fmtMoney: fmtMoney
  };

  /* ---------- start ---------- */

  function start() {
    loadExtensions();
    $('lang-toggle').addEventListener('click', function () { setLang(S.lang === 'zh' ? 'en' : 'zh'); });
    $('logout').addEventListener('click', function () { logout('login.bye', true); });
    setLang(S.lang);
    window.addEventListener('hashchange', function () { markNav(); route(); });
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
