/* quan dashboard: the comparison of cities (#/compare) as a form.
 *
 * The form builds the profile POST /v1/compare takes (data/openapi.json, Profile): the firm,
 * with its industry a drop-down of GB/T 4754 codes from GET /v1/choices; its planned year,
 * with one compute contract (chip a drop-down of data/chips.yaml, from the same route), one
 * model contract and one corpus contract, each included or not. Every city the office has
 * costs for is compared; they are listed above the button. The JSON the form sends stays
 * available behind a toggle, for the fields the form does not have (several contracts of one
 * kind): in that mode the text is sent as written.
 *
 * Loaded before app.js, which calls the function below with its kit.
 */
(window.QUAN_EXT = window.QUAN_EXT || []).push(function (K) {
  'use strict';

  var h = K.h, T = K.T;

  /* The form's values from a profile (the last one sent, or the example). */
  function fromProfile(p) {
    var firm = p.firm || {}, plan = p.plan || {};
    var c = (plan.compute || [])[0], m = (plan.models || [])[0], k = (plan.corpus || [])[0];
    return {
      uscc: firm.uscc || '', name: firm.name || '', industry: firm.industry || '',
      sme: !!firm.sme, startup: !!firm.startup, registered_model: !!firm.registered_model,
      head_count: firm.head_count, office_m2: firm.office_m2,
      signed_on: plan.signed_on || '', electricity_kwh: plan.electricity_kwh,
      has_compute: !!c, cp_kind: (c && c.kind) || 'rent', cp_chip: (c && c.chip) || '',
      cp_accelerators: c && c.accelerators, cp_hours: c && c.hours,
      cp_price: (c && c.price_per_hour) || '', cp_value: (c && c.value) || '', cp_term: c && c.term_months,
      has_model: !!m, md_kind: (m && m.kind) || 'api', md_value: (m && m.value) || '',
      md_term: m && m.term_months, md_uses: !!(m && m.uses_registered_model),
      has_corpus: !!k, co_value: (k && k.value) || '', co_term: k && k.term_months
    };
  }

  function num(v) {
    var s = String(v === undefined || v === null ? '' : v).trim();
    /* A whole number goes as a number; anything else as typed, for the server to refuse by name. */
    return /^[0-9]+$/.test(s) ? parseInt(s, 10) : (s === '' ? undefined : s);
  }

  function viewCompare(seq) {
    return K.choicesP().then(function (C) {
      var D = fromProfile(K.S.lastProfile || K.EXAMPLE_PROFILE);
      var els = {};

      function field(id, key, el) {
        els[id] = el;
        return h('div', { class: 'field' }, h('label', { for: 'cmp-' + id, i18n: key }), el);
      }
      function inp(id, key, value, attrs) {
        return field(id, key, h('input', Object.assign({ id: 'cmp-' + id, testid: 'cmp-' + id,
          value: value === undefined || value === null ? '' : String(value), autocomplete: 'off' }, attrs || {})));
      }
      function whole(id, key, value) {
        return inp(id, key, value, { type: 'number', min: '0', step: '1', inputmode: 'numeric' });
      }
      function yuan(id, key, value) {
        return inp(id, key, value, { inputmode: 'decimal', placeholderKey: 'action.money_ph' });
      }
      function check(id, key, value) {
        var el = h('input', { id: 'cmp-' + id, testid: 'cmp-' + id, type: 'checkbox', checked: value });
        els[id] = el;
        return h('div', { class: 'field check' }, el, h('label', { for: 'cmp-' + id, i18n: key }));
      }
      function select(id, key, value, opts) {
        var s = h('select', { id: 'cmp-' + id, testid: 'cmp-' + id }, opts.map(function (o) {
          return h('option', { value: o.value, names: o.names, text: o.text, i18n: o.i18n, tv: o.tv });
        }));
        if (value && !opts.some(function (o) { return o.value === value; })) {
          s.appendChild(h('option', { value: value, text: value }));
        }
        s.value = value;
        return field(id, key, s);
      }

      var industries = [{ value: '', i18n: 'cmp.none' }].concat((C.industries || []).map(function (c) {
        return { value: c.code, names: { en: c.code + ' ' + c.name, zh: c.code + ' ' + c.name_zh } };
      }));
      var chips = (C.chips || []).map(function (c) {
        return { value: c.id, text: c.name + ' (' + c.id + ')' };
      });
      var cities = (C.cities || []).map(function (c) {
        return h('li', { testid: 'cmp-citylist-' + c.id, names: { en: c.name, zh: c.name_zh || c.name } });
      });

      var computeSet = h('fieldset', { testid: 'cmp-compute' }, h('legend', { i18n: 'cmp.compute' }),
        h('div', { class: 'grid' },
          select('cp-kind', 'cmp.kind', D.cp_kind, ['rent', 'buy', 'build'].map(function (k) {
            return { value: k, i18n: 'cmp.kind.' + k };
          })),
          select('cp-chip', 'est.chip', D.cp_chip, chips),
          whole('cp-accelerators', 'est.accelerators', D.cp_accelerators),
          whole('cp-hours', 'est.hours', D.cp_hours),
          yuan('cp-price', 'cmp.price_per_hour', D.cp_price),
          yuan('cp-value', 'est.value', D.cp_value),
          whole('cp-term', 'est.term', D.cp_term)));
      var modelSet = h('fieldset', { testid: 'cmp-model' }, h('legend', { i18n: 'cmp.model' }),
        h('div', { class: 'grid' },
          select('md-kind', 'cmp.kind', D.md_kind, [
            { value: 'api', tv: 'kind|api' }, { value: 'private-deployment', tv: 'kind|private-deployment' }]),
          yuan('md-value', 'est.value', D.md_value),
          whole('md-term', 'est.term', D.md_term),
          check('md-uses', 'est.uses_model', D.md_uses)));
      var corpusSet = h('fieldset', { testid: 'cmp-corpus' }, h('legend', { i18n: 'cmp.corpus' }),
        h('div', { class: 'grid' },
          yuan('co-value', 'est.value', D.co_value),
          whole('co-term', 'est.term', D.co_term)));

      var form = h('div', { class: 'compare-fields', testid: 'compare-fields' },
        h('fieldset', null, h('legend', { i18n: 'cmp.firm' }),
          h('div', { class: 'grid' },
            inp('uscc', 'col.uscc', D.uscc, { maxlength: '18', spellcheck: 'false' }),
            inp('name', 'est.name', D.name),
            select('industry', 'est.industry', D.industry, industries),
            whole('head-count', 'cmp.head_count', D.head_count),
            whole('office-m2', 'cmp.office_m2', D.office_m2),
            check('sme', 'est.sme', D.sme),
            check('startup', 'est.startup', D.startup),
            check('registered-model', 'est.registered_model', D.registered_model))),
        h('fieldset', null, h('legend', { i18n: 'cmp.plan' }),
          h('div', { class: 'grid' },
            inp('signed-on', 'est.signed_on', D.signed_on, { type: 'date' }),
            whole('electricity', 'cmp.electricity_kwh', D.electricity_kwh),
            check('has-compute', 'cmp.has_compute', D.has_compute),
            check('has-model', 'cmp.has_model', D.has_model),
            check('has-corpus', 'cmp.has_corpus', D.has_corpus))),
        computeSet, modelSet, corpusSet);

      function v(id) { return els[id].value.trim(); }
      function opt(o, k, val) { if (val !== undefined && val !== '') o[k] = val; return o; }

      /* The profile the form says. */
      function profile() {
        var firm = { uscc: v('uscc'), name: v('name') };
        opt(firm, 'industry', v('industry'));
        firm.sme = els.sme.checked;
        firm.startup = els.startup.checked;
        firm.registered_model = els['registered-model'].checked;
        opt(firm, 'head_count', num(v('head-count')));
        opt(firm, 'office_m2', num(v('office-m2')));
        var plan = { signed_on: v('signed-on') };
        opt(plan, 'electricity_kwh', num(v('electricity')));
        if (els['has-compute'].checked) {
          var kind = v('cp-kind');
          var c = { kind: kind, chip: v('cp-chip') };
          opt(c, 'accelerators', num(v('cp-accelerators')));
          opt(c, 'hours', num(v('cp-hours')));
          if (kind === 'rent') opt(c, 'price_per_hour', v('cp-price'));
          else opt(c, 'value', v('cp-value'));
          opt(c, 'term_months', num(v('cp-term')));
          plan.compute = [c];
        }
        if (els['has-model'].checked) {
          var m = { kind: v('md-kind') };
          opt(m, 'value', v('md-value'));
          opt(m, 'term_months', num(v('md-term')));
          m.uses_registered_model = els['md-uses'].checked;
          plan.models = [m];
        }
        if (els['has-corpus'].checked) {
          var k = {};
          opt(k, 'value', v('co-value'));
          opt(k, 'term_months', num(v('co-term')));
          plan.corpus = [k];
        }
        return { firm: firm, plan: plan };
      }

      var area = h('textarea', { id: 'compare-json', testid: 'compare-json', rows: 18, spellcheck: 'false' });
      var raw = h('div', { id: 'compare-raw', testid: 'compare-raw', hidden: true },
        h('label', { for: 'compare-json', i18n: 'compare.profile' }), area,
        h('p', { class: 'help', i18n: 'cmp.json_help' }));
      var mode = 'form';

      /* What is shown follows the form: price or value by the kind of compute, the contracts
       * included, and the JSON kept equal to the form while the form is in use. */
      function sync() {
        var rent = v('cp-kind') === 'rent';
        els['cp-price'].closest('.field').hidden = !rent;
        els['cp-value'].closest('.field').hidden = rent;
        computeSet.hidden = !els['has-compute'].checked;
        modelSet.hidden = !els['has-model'].checked;
        corpusSet.hidden = !els['has-corpus'].checked;
        if (mode === 'form') area.value = JSON.stringify(profile(), null, 2);
      }
      form.addEventListener('input', sync);
      form.addEventListener('change', sync);

      var modeForm = h('button', { type: 'button', testid: 'compare-mode-form', 'aria-pressed': 'true',
        i18n: 'est.mode_form', onclick: function () { setMode('form'); } });
      var modeJson = h('button', { type: 'button', testid: 'compare-mode-json', 'aria-pressed': 'false',
        i18n: 'est.mode_json', onclick: function () { setMode('json'); } });
      function setMode(m) {
        if (m === 'form' && mode === 'json') {
          /* Back to the form: it takes what the JSON says, where it can. */
          var p;
          try { p = JSON.parse(area.value); } catch (e) { p = null; }
          if (p) { K.S.lastProfile = p; return route(); }
        }
        mode = m;
        form.hidden = m !== 'form';
        raw.hidden = m !== 'json';
        modeForm.setAttribute('aria-pressed', String(m === 'form'));
        modeJson.setAttribute('aria-pressed', String(m === 'json'));
        sync();
      }
      function route() {
        viewCompare(K.S.seq);
      }

      var out = h('div', { testid: 'compare-out' });
      var submit = h('button', { type: 'submit', class: 'primary', testid: 'compare-submit', i18n: 'compare.submit' });
      var node = h('form', { class: 'card compare', testid: 'compare-form', novalidate: true,
        onsubmit: function (ev) {
          ev.preventDefault();
          var body;
          if (mode === 'json') {
            try { body = JSON.parse(area.value); } catch (e) {
              K.showError({ api: { code: 'invalid_json', message: String(e.message) } });
              return;
            }
          } else {
            body = profile();
          }
          K.S.lastProfile = body;
          K.clearAlert();
          submit.disabled = true;
          K.api('POST', '/v1/compare', body).then(function (res) {
            if (seq !== K.S.seq) return;
            out.replaceChildren(K.compareResult(res));
          }).catch(K.showError).then(function () { submit.disabled = false; });
        } },
        h('div', { class: 'mode-switch', role: 'group', ariaLabelKey: 'est.mode' }, modeForm, modeJson),
        form, raw,
        h('div', { class: 'cities' }, T('cmp.cities'), h('ul', { class: 'inline-list', testid: 'cmp-cities' }, cities)),
        h('div', { class: 'actions' }, submit));

      K.setView(seq, 'compare', h('section', null,
        h('h1', { i18n: 'compare.title' }),
        h('p', { class: 'help', i18n: 'compare.help' }),
        node, out));
      sync();
    });
  }

  K.view('compare', viewCompare);
});
