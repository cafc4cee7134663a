import { describe, expect, it } from 'vitest';
import { topRegions } from '../../src/report/kpis.js';

describe('where the orders go (domain.md §9)', () => {
  it('takes a province with or without its suffix as one, most orders first, and counts the orders without one', () => {
    const orders = ['广西壮族自治区', '广西', '内蒙古自治区', '北京市', '北京', '北京', '广东省', ' 广东 ', undefined, ''].map((province) => (province === undefined ? {} : { province }));
    expect(topRegions(orders)).toEqual({
      regions: [{ province: '北京', orders: 3 }, { province: '广东', orders: 2 }, { province: '广西', orders: 2 }, { province: '内蒙古', orders: 1 }],
      unknown: 2,
    });
    expect(topRegions(orders, 1).regions).toEqual([{ province: '北京', orders: 3 }]);
  });
});
