import * as z from 'zod';

/**
 * `logging.audit`: where the audit events go, besides the log (Node only). `{ file: PATH }` appends JSON lines to a
 * file (relative paths from the working directory), `{ stdout: true }` writes them to standard output.
 */
export const auditSchema = z.union([z.object({ file: z.string().min(1) }).strict(), z.object({ stdout: z.literal(true) }).strict()]);

export type AuditConfig = z.infer<typeof auditSchema>;
