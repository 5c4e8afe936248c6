import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const LoginSchema = z.object({ email: z.string().max(320), password: z.string().max(200) });
export class LoginDto extends createZodDto(LoginSchema) {}

export const ApiKeyVerifySchema = z.object({ key: z.string().max(200) });
export class ApiKeyVerifyDto extends createZodDto(ApiKeyVerifySchema) {}
