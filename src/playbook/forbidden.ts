/**
 * Phrases no default or shop response may contain (domain.md §6: never refuse flatly, argue,
 * lecture or mock, hint that the customer is at fault, insist you are right, or make the
 * customer feel unimportant; §10: never promise what the shop can't keep). Shops add their
 * own with `settings.forbiddenPhrases`.
 */
export const DEFAULT_FORBIDDEN_PHRASES: readonly string[] = [
  '不可能', '爱买不买', '不买拉倒', '随便你', '你自己看', '自己看', '你看错了', '你的问题', '是你自己',
  '你不懂', '懂不懂', '说了多少遍', '我已经说过', '不归我管', '跟我没关系', '没办法', '找别人去', '去别家买',
  '我们没有错', '你想多了', '不知道', '绝对不会', '百分之百', '100%', '随时退款', '无条件赔偿',
];
