import { generateApiKey, hashSecret, parseApiKey, verifySecret } from './secrets';

describe('hashSecret / verifySecret', () => {
  it('verifies the right secret only, with a fresh salt each time', async () => {
    const hash = await hashSecret('correct horse');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await hashSecret('correct horse')).not.toBe(hash);
    expect(await verifySecret('correct horse', hash)).toBe(true);
    expect(await verifySecret('correct horsf', hash)).toBe(false);
  });

  it.each(['', 'plain', 'bcrypt$1$2$3$4$5', 'scrypt$x$8$1$c2FsdA$aGFzaA', 'scrypt$16384$8$1$c2FsdA$c2hvcnQ'])(
    'rejects the malformed hash %j',
    async (stored) => expect(await verifySecret('anything', stored)).toBe(false),
  );
});

describe('API keys', () => {
  it('generates a key that parses back and whose secret matches its hash', async () => {
    const generated = await generateApiKey();
    expect(generated.key).toBe(`torii_${generated.id}_${generated.secret}`);
    expect(parseApiKey(generated.key)).toEqual({ id: generated.id, secret: generated.secret });
    expect(await verifySecret(generated.secret, generated.hash)).toBe(true);
  });

  it.each(['', 'torii_', 'torii_abc_def', 'tori_0123456789abcdef_' + 'a'.repeat(48), 'torii_0123456789abcdef_' + 'g'.repeat(48), 'eyJhbGciOi.x.y'])(
    'refuses %j',
    (key) => expect(parseApiKey(key)).toBeUndefined(),
  );
});
