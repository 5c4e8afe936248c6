import { z } from 'zod';

const service = z.enum(['spam', 'virus', 'archive', 'secondary']);

/** The seed file (docs/seed.md). */
export const SeedSchema = z.object({
  operators: z.array(z.object({ email: z.email(), password: z.string().min(8) })).default([]),
  tenants: z
    .array(
      z.object({
        name: z.string().min(1),
        admins: z.array(z.object({ email: z.email(), password: z.string().min(8) })).default([]),
        domains: z
          .array(
            z.object({
              name: z.string().min(1),
              plan: z.number().int().positive().default(10),
              server: z.object({ hostname: z.string(), ips: z.array(z.string()).default([]), port: z.number().int().default(25) }).optional(),
              services: z
                .array(
                  z.union([
                    service,
                    z.object({
                      service,
                      startsOn: z.iso.date().optional(),
                      quarantineExtraBlocks: z.number().int().min(0).default(0),
                      archiveExtraBlocks: z.number().int().min(0).default(0),
                    }),
                  ]),
                )
                .default([]),
              addresses: z.array(z.union([z.string(), z.object({ address: z.string(), kind: z.enum(['mailbox', 'list']).default('mailbox') })])).default([]),
              users: z.array(z.object({ address: z.string(), password: z.string().min(8) })).default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

export type Seed = z.output<typeof SeedSchema>;
