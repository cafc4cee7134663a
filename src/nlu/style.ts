/**
 * How a customer writes (domain.md §7: "lively → lively tone and emoji; formal → professional
 * detail"), read from the message as typed — before normalizing drops emoji and particles.
 * lively: emoji or WeChat stickers ([呲牙]), 哈哈, 呀/啦/哇 endings, ～, !!; formal: 您, 请问,
 * 麻烦, 贵店; plain: neither. A lively word wins over a formal one (您好呀～ is lively).
 */
export type Style = 'lively' | 'formal' | 'plain';

const LIVELY = /\p{Extended_Pictographic}|\[[\p{Script=Han}a-zA-Z]{1,4}\]|哈哈|嘻嘻|嘿嘿|hhh|耶|么么|亲亲|宝子|[呀啦哇嘛咯噢]\s*[~～!！?？。]*$|[~～]|[!！]{2,}/u;
const FORMAL = /您|请问|麻烦|劳驾|烦请|贵店|贵司|贵公司|敬请/u;

export function styleOf(text: string | null): Style {
  if (!text) return 'plain';
  if (LIVELY.test(text)) return 'lively';
  return FORMAL.test(text) ? 'formal' : 'plain';
}
