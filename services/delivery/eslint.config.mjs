// The root configuration, plus the Prisma client generated into ./generated (not ours to lint).
import root from '../../eslint.config.mjs';

export default [{ ignores: ['generated/**'] }, ...root];
