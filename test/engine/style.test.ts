import { describe, expect, it } from 'vitest';
import { styleOf } from '../../src/nlu/style.js';

describe('how a customer writes (domain.md §7)', () => {
  it('reads emoji, stickers, 哈哈, ～ and 呀/啦 endings as lively, 您/请问 as formal, the rest as plain', () => {
    expect(['哈喽～在吗', '在吗😊', '在吗[呲牙]', '哈哈好的', '好的呀', '太好啦!', '收到！！'].map(styleOf)).toEqual(Array(7).fill('lively'));
    expect(['您好，请问在吗', '麻烦帮我查一下订单', '请问贵店几点下班'].map(styleOf)).toEqual(['formal', 'formal', 'formal']);
    expect(['在吗', '发什么快递', '你好', '包邮吗？', '呀这个怎么用'].map(styleOf)).toEqual(Array(5).fill('plain'));
    expect(styleOf('您好呀～')).toBe('lively'); // a lively word wins
    expect(styleOf(null)).toBe('plain');
  });
});
