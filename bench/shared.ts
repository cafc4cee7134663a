export const BENCH_FEISHU = { appId: 'cli_bench', verificationToken: 'bench-token', encryptKey: 'bench-encrypt-key' } as const;
