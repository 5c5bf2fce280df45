/* Labels for what the server sends in English that the dashboard shows in both languages
 * (issue 13, "Chinese throughout"): the keys of a history line's detail (dk.), the trace
 * outcomes i18n.js lacks, and the flag and transfer words. Loaded after i18n.js, whose
 * dictionaries it extends; a key here never replaces one there. */
(function () {
  'use strict';
  var add = {
    en: {
      'outcome.soft cap exceeded': 'soft cap exceeded',
      'outcome.share': 'share',
      'outcome.not in force': 'not in force',
      'bool.true': 'yes',
      'bool.false': 'no',
      'act.notice-close': 'public notice closed',
      'act.batch-new': 'payment batch made',
      'act.voucher-paid': 'voucher paid',
      'act.reconcile': 'bank statement reconciled'
    },
    zh: {
      'outcome.soft cap exceeded': '超出软上限',
      'outcome.share': '分担',
      'outcome.not in force': '未生效',
      'bool.true': '是',
      'bool.false': '否',
      'act.notice-close': '结束公示',
      'act.batch-new': '生成拨付批次',
      'act.voucher-paid': '凭证已付款',
      'act.reconcile': '银行对账',
      'dk.address': '地址',
      'dk.amount': '金额',
      'dk.app': '申请',
      'dk.approved_by': '批准人',
      'dk.approver': '第一审批人',
      'dk.at': '时间',
      'dk.awarded': '已批准金额',
      'dk.awarded_year': '批准年度',
      'dk.batch': '拨付批次',
      'dk.blocked': '已拦截',
      'dk.budget': '预算',
      'dk.by': '经办人',
      'dk.change': '变动',
      'dk.client_ref': '申请方编号',
      'dk.clock': '时钟',
      'dk.eligible': '符合条件',
      'dk.file': '文件',
      'dk.first_approver': '第一审批人',
      'dk.flags': '标记',
      'dk.from': '自',
      'dk.grant': '资助',
      'dk.history': '历史',
      'dk.id': '编号',
      'dk.imported': '导入',
      'dk.invoices': '发票',
      'dk.kind': '类型',
      'dk.measure': '措施',
      'dk.milestone': '里程碑',
      'dk.name': '名称',
      'dk.notice': '公示',
      'dk.outcome': '结果',
      'dk.paid': '已拨付',
      'dk.password_mark': '密码标记',
      'dk.path': '路径',
      'dk.pools': '资金池',
      'dk.priority': '优先',
      'dk.program': '项目',
      'dk.programs': '项目',
      'dk.rate': '比例',
      'dk.received_at': '收到时间',
      'dk.recovered': '已追回',
      'dk.ref': '幂等键',
      'dk.released': '已释放',
      'dk.remaining': '剩余',
      'dk.replayed': '重放',
      'dk.requested': '申请金额',
      'dk.role': '角色',
      'dk.rule': '规则',
      'dk.seq': '序号',
      'dk.settlement': '结算',
      'dk.state': '状态',
      'dk.supplier_lists': '供应商名单',
      'dk.token_expires_at': '令牌到期时间',
      'dk.tranche': '分期',
      'dk.transfers': '转账',
      'dk.uscc': '统一社会信用代码',
      'dk.value': '金额',
      'dk.why': '理由',
      'dk.year': '年度'
    }
  };
  var d = window.QUAN_I18N;
  ['en', 'zh'].forEach(function (lang) {
    Object.keys(add[lang]).forEach(function (k) {
      if (!(k in d[lang])) d[lang][k] = add[lang][k];
    });
  });
}());
