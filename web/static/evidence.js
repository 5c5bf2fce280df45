/* Evidence on an application's page: the documents filed under it (contract, invoices,
 * receipts, acceptance report), each opened from the server's bytes, and a form that files
 * another (staff and the applicant's own firm; the server decides who may). app.js calls
 * QuanEvidence.section(app, helpers) from its application view; the strings are added to
 * QUAN_I18N here, so that this file stands apart from the shared ones. */
(function () {
  'use strict';

  var I = window.QUAN_I18N;
  Object.assign(I.en, {
    'ev.title': 'Evidence',
    'ev.none': 'No documents filed yet.',
    'ev.seq': '#',
    'ev.kind': 'Kind',
    'ev.name': 'Name',
    'ev.type': 'Type',
    'ev.size': 'Size (bytes)',
    'ev.payment': 'For',
    'ev.payment_app': 'the application',
    'ev.payment_n': 'payment {n}',
    'ev.by': 'Filed by',
    'ev.at': 'Filed at',
    'ev.sha': 'SHA-256',
    'ev.open': 'Open',
    'ev.upload': 'File a document',
    'ev.file': 'File (PDF, JPEG, PNG or OFD)',
    'ev.for_payment': 'For payment (empty: the application)',
    'ev.submit': 'File it',
    'ev.done': 'Filed {name} ({type}, {size} bytes).',
    'ev.pick': 'Choose a file first.',
    'ev.kind.contract': 'Contract',
    'ev.kind.invoice': 'Invoice',
    'ev.kind.receipt': 'Payment receipt',
    'ev.kind.acceptance': 'Acceptance report',
    'act.attach': 'document filed'
  });
  Object.assign(I.zh, {
    'ev.title': '证明材料',
    'ev.none': '尚未上传材料。',
    'ev.seq': '序号',
    'ev.kind': '类别',
    'ev.name': '文件名',
    'ev.type': '格式',
    'ev.size': '大小（字节）',
    'ev.payment': '用于',
    'ev.payment_app': '申请本身',
    'ev.payment_n': '第{n}笔拨付',
    'ev.by': '上传人',
    'ev.at': '上传时间',
    'ev.sha': 'SHA-256',
    'ev.open': '查看',
    'ev.upload': '上传材料',
    'ev.file': '文件（PDF、JPEG、PNG 或 OFD）',
    'ev.for_payment': '对应拨付笔次（留空：申请本身）',
    'ev.submit': '上传',
    'ev.done': '已上传 {name}（{type}，{size} 字节）。',
    'ev.pick': '请先选择文件。',
    'ev.kind.contract': '合同',
    'ev.kind.invoice': '发票',
    'ev.kind.receipt': '付款凭证',
    'ev.kind.acceptance': '验收报告',
    'act.attach': '上传材料'
  });

  var KINDS = ['contract', 'invoice', 'receipt', 'acceptance'];
  var UPLOADERS = ['administrator', 'reviewer', 'finance', 'applicant'];

  /* The request headers of the signed-in user, as app.js's api() sends them. */
  function auth(S, write) {
    var hd = {};
    if (S.token) hd.Authorization = 'Bearer ' + S.token;
    else if (write && S.csrf) hd['X-CSRF-Token'] = S.csrf;
    return hd;
  }

  /* Fetch a document's bytes and open them: PDF and images in a new tab, an OFD (which
   * browsers do not show) saved under its name. */
  function open(S, d) {
    return fetch('/v1/documents/' + d.sha256, { headers: auth(S, false), credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.blob();
      }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        if (d.type === 'ofd') {
          var a = document.createElement('a');
          a.href = url;
          a.download = d.name;
          document.body.appendChild(a);
          a.click();
          a.remove();
        } else {
          window.open(url, '_blank', 'noopener');
        }
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      });
  }

  function list(x, docs) {
    var h = x.h, T = x.T;
    if (!docs.length) return h('p', { i18n: 'ev.none', testid: 'ev-none' });
    var cols = ['ev.seq', 'ev.kind', 'ev.name', 'ev.type', 'ev.size', 'ev.payment', 'ev.by', 'ev.at',
      'ev.sha', 'ev.open'];
    return h('table', { class: 'data', testid: 'ev-table' },
      h('thead', null, h('tr', null, cols.map(function (k) { return h('th', { scope: 'col', i18n: k }); }))),
      h('tbody', null, docs.map(function (d) {
        return h('tr', { testid: 'ev-row-' + d.seq, 'data-sha256': d.sha256 },
          h('td', { text: String(d.seq) }),
          h('td', { 'data-kind': d.kind }, T('ev.kind.' + d.kind)),
          h('td', { text: d.name }),
          h('td', null, h('code', { text: d.type })),
          h('td', { class: 'num', text: String(d.size) }),
          h('td', null, d.payment ? T('ev.payment_n', { n: d.payment }) : T('ev.payment_app')),
          h('td', { text: d.by }),
          h('td', null, x.timeEl(d.at, true)),
          h('td', null, h('code', { class: 'hash', title: d.sha256, text: d.sha256.slice(0, 12) + '…' })),
          h('td', null, h('button', { type: 'button', class: 'secondary', testid: 'ev-open-' + d.seq,
            i18n: 'ev.open', onclick: function () { open(x.S, d).catch(function () {}); } })));
      })));
  }

  function form(x, app, reload) {
    var h = x.h;
    var msg = h('p', { class: 'form-msg', role: 'status', 'aria-live': 'polite', testid: 'ev-msg' });
    var file = h('input', { id: 'ev-file', type: 'file', testid: 'ev-file',
      accept: '.pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png,application/ofd' });
    var kind = h('select', { id: 'ev-kind', testid: 'ev-kind' }, KINDS.map(function (k) {
      return h('option', { value: k, i18n: 'ev.kind.' + k });
    }));
    var pay = h('input', { id: 'ev-payment', type: 'number', min: '1', max: '1000', testid: 'ev-payment' });
    var btn = h('button', { type: 'submit', i18n: 'ev.submit', testid: 'ev-submit' });

    function submit(ev) {
      ev.preventDefault();
      var f = file.files && file.files[0];
      msg.className = 'form-msg';
      if (!f) { msg.textContent = x.t('ev.pick'); msg.className = 'form-msg error'; return; }
      var q = 'kind=' + encodeURIComponent(kind.value) + '&name=' + encodeURIComponent(f.name);
      if (pay.value) q += '&payment=' + encodeURIComponent(pay.value);
      btn.disabled = true;
      var hd = auth(x.S, true);
      hd['Content-Type'] = 'application/octet-stream';
      hd.Accept = 'application/json';
      fetch('/v1/applications/' + encodeURIComponent(app.id) + '/documents?' + q,
        { method: 'POST', headers: hd, body: f, credentials: 'same-origin' })
        .then(function (res) {
          return res.json().catch(function () { return null; }).then(function (j) {
            if (!res.ok) throw new Error(j && j.error ? j.error.message : 'HTTP ' + res.status);
            return j;
          });
        }).then(function (j) {
          return reload().then(function () {
            var m = document.querySelector('[data-testid="ev-msg"]');
            if (m) m.textContent = x.t('ev.done', { name: j.name, type: j.type, size: j.size });
          });
        }).catch(function (e) {
          btn.disabled = false;
          msg.textContent = e.message;
          msg.className = 'form-msg error';
        });
    }

    return h('form', { class: 'ev-upload', testid: 'ev-form', onsubmit: submit },
      h('h3', { i18n: 'ev.upload' }),
      h('div', { class: 'field' }, h('label', { for: 'ev-file', i18n: 'ev.file' }), file),
      h('div', { class: 'field' }, h('label', { for: 'ev-kind', i18n: 'ev.kind' }), kind),
      h('div', { class: 'field' }, h('label', { for: 'ev-payment', i18n: 'ev.for_payment' }), pay),
      btn, msg);
  }

  /* The section for application app; x holds app.js's helpers: h, T, t, timeEl, S. */
  function section(app, x) {
    var box = x.h('section', { class: 'evidence', testid: 'evidence' },
      x.h('h2', { i18n: 'ev.title' }));
    var body = x.h('div');
    box.appendChild(body);

    function reload() {
      return fetch('/v1/applications/' + encodeURIComponent(app.id) + '/documents',
        { headers: Object.assign({ Accept: 'application/json' }, auth(x.S, false)), credentials: 'same-origin' })
        .then(function (res) { return res.ok ? res.json() : { documents: [] }; })
        .then(function (j) {
          body.textContent = '';
          body.appendChild(list(x, j.documents || []));
          if (x.S.me && UPLOADERS.indexOf(x.S.me.role) >= 0) body.appendChild(form(x, app, reload));
        });
    }
    reload();
    return box;
  }

  window.QuanEvidence = { section: section };
}());
