import { isPermanent } from '@torii/errors';
import {
  AddressKind,
  AuditAction,
  AuditVerdictSchema,
  BodyType,
  ChangeKind,
  Codecs,
  ContractDecodeError,
  ContractValueError,
  DeliveryState,
  DeliveryRetrySchema,
  DeliveryStatusSchema,
  Direction,
  DirectoryChangedSchema,
  DomainDirectorySchema,
  DsnReturn,
  FeedbackKind,
  FeedbackMailSchema,
  MailReceivedSchema,
  MailSubmitSchema,
  NotifyCondition,
  RetryAction,
  SpamAction,
  SpamVerdictSchema,
  SpoolStateSchema,
  TenantChangedSchema,
  VerdictKind,
  VirusStatus,
  VirusVerdictSchema,
  codecFor,
  create,
  equals,
  timestampFromDate,
  type DescMessage,
  type MessageShape,
} from './index';

const at = timestampFromDate(new Date('2026-01-02T03:04:05.678Z'));
const envelope = {
  mailFrom: 'sender@example.net',
  rcptTo: [
    {
      address: 'alice@tenant.example',
      notify: [NotifyCondition.SUCCESS, NotifyCondition.DELAY],
      orcpt: 'rfc822;alice@tenant.example',
    },
    { address: 'bob@tenant.example' },
  ],
  ret: DsnReturn.HDRS,
  envid: 'QQ314159',
  declaredSize: 2048n,
  bodyType: BodyType.EIGHT_BIT_MIME,
  smtputf8: true,
};

const mailReceived = create(MailReceivedSchema, {
  messageId: '01JGZ8Y6Q4V3K2M1N0P9R8S7T6',
  tenantId: 'tn_1',
  domain: 'tenant.example',
  direction: Direction.INBOUND,
  envelope,
  client: {
    ip: '2001:db8::1',
    port: 50123,
    helo: 'mx.example.net',
    ptr: 'mx.example.net',
    tls: { enabled: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    proxiedFrom: '10.0.0.5',
  },
  auth: {
    spf: { result: 'pass', domain: 'example.net', explanation: 'ip6 matched' },
    dkim: [
      { result: 'pass', domain: 'example.net', selector: 's1' },
      { result: 'fail', domain: 'other.test', selector: 'x' },
    ],
    dmarc: { result: 'pass', policy: 'reject', domain: 'example.net' },
    arc: { result: 'none' },
    authenticationResultsHeader:
      'torii.local; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net',
  },
  receivedAt: at,
  size: 123_456_789_012n,
  sha256: 'a'.repeat(64),
  bucket: 'torii-mail',
  objectKey: 'tn_1/2026/01/02/01JGZ8Y6Q4V3K2M1N0P9R8S7T6.eml',
  receivedBy: 'edge-1',
});

const samples: Array<[string, DescMessage, MessageShape<DescMessage>]> = [
  ['MailReceived', MailReceivedSchema, mailReceived],
  [
    'MailSubmit',
    MailSubmitSchema,
    create(MailSubmitSchema, {
      submitId: '01JGZ9',
      tenantId: 'tn_1',
      origin: 'virus-scan',
      purpose: 'virus-warning',
      direction: Direction.INBOUND,
      envelope: { ...envelope, mailFrom: '' },
      bucket: 'torii-mail',
      objectKey: 'tn_1/submit/01JGZ9.eml',
      size: 900n,
      sha256: 'b'.repeat(64),
      bypass: ['spam', 'virus'],
      relatedMessageId: '01JGZ8',
      domain: 'tenant.example',
      submittedAt: at,
    }),
  ],
  [
    'FeedbackMail',
    FeedbackMailSchema,
    create(FeedbackMailSchema, {
      reportId: '01JGZA',
      tenantId: 'tn_1',
      domain: 'tenant.example',
      reporter: 'alice@tenant.example',
      kind: FeedbackKind.FALSE_NEGATIVE,
      bucket: 'torii-mail',
      objectKey: 'feedback/tn_1/2026/12/07/01JGZA.eml',
      receivedAt: at,
      size: 4200n,
      sha256: 'c'.repeat(64),
    }),
  ],
  [
    'SpamVerdict',
    SpamVerdictSchema,
    create(SpamVerdictSchema, {
      messageId: '01JGZ8',
      tenantId: 'tn_1',
      outcome: { kind: VerdictKind.SPAM, decidedAt: at },
      scorePercent: 98.25,
      headerValue: '98.25%',
      recipients: [
        {
          recipient: 'alice@tenant.example',
          action: SpamAction.TAG,
          subjectTag: '[SPAM!!]',
          reason: 'threshold',
        },
      ],
    }),
  ],
  [
    'VirusVerdict',
    VirusVerdictSchema,
    create(VirusVerdictSchema, {
      messageId: '01JGZ8',
      tenantId: 'tn_1',
      outcome: { kind: VerdictKind.VIRUS, decidedAt: at, failed: true, failureReason: 'clamd timeout' },
      status: VirusStatus.INFECTED,
      findings: [{ part: '2.1', filename: 'invoice.zip', signature: 'Eicar-Signature' }],
      engine: 'ClamAV 1.4.6/1',
    }),
  ],
  [
    'AuditVerdict',
    AuditVerdictSchema,
    create(AuditVerdictSchema, {
      messageId: '01JGZ8',
      tenantId: 'tn_1',
      outcome: { kind: VerdictKind.AUDIT, decidedAt: at },
      matchedPolicyIds: ['pol_1', 'pol_2'],
      actions: [AuditAction.HOLD, AuditAction.ADD_HEADER],
      addHeaders: [{ name: 'X-Torii-Audit', value: '社外秘' }],
      archived: true,
    }),
  ],
  [
    'DeliveryStatus',
    DeliveryStatusSchema,
    create(DeliveryStatusSchema, {
      messageId: '01JGZ8',
      tenantId: 'tn_1',
      recipient: 'alice@tenant.example',
      status: DeliveryState.DEFERRED,
      attempt: 3,
      remote: {
        host: 'mail.tenant.example',
        ip: '192.0.2.10',
        code: 451,
        enhancedCode: '4.3.0',
        text: 'try later',
      },
      reason: 'remote-temporary',
      occurredAt: at,
      nextAttemptAt: timestampFromDate(new Date('2026-01-02T03:34:05Z')),
      direction: Direction.INBOUND,
      handoff: {
        domain: 'tenant.example',
        bucket: 'mail',
        objectKey: 'in/tn_1/2026/01/02/01JGZ8.eml',
        size: 1234n,
        envelope: { mailFrom: 'bob@sender.example', rcptTo: [{ address: 'alice@tenant.example', notify: [NotifyCondition.DELAY] }] },
        receivedAt: at,
        firstFailedAt: at,
      },
    }),
  ],
  [
    'DeliveryRetry',
    DeliveryRetrySchema,
    create(DeliveryRetrySchema, {
      retryId: '01JGZ8-3',
      messageId: '01JGZ8',
      recipients: ['alice@tenant.example'],
      action: RetryAction.RETRY,
      reason: 'due',
      requestedAt: at,
    }),
  ],
  [
    'SpoolState',
    SpoolStateSchema,
    create(SpoolStateSchema, { spooledBytes: 10n, limitBytes: 100n, full: false, downDomains: ['tenant.example'], updatedAt: at, spooledMessages: 1n }),
  ],
  [
    'DirectoryChanged',
    DirectoryChangedSchema,
    create(DirectoryChangedSchema, {
      domain: 'tenant.example',
      tenantId: 'tn_1',
      revision: 42n,
      kind: ChangeKind.DELETE,
      changedAt: at,
    }),
  ],
  [
    'DomainDirectory',
    DomainDirectorySchema,
    create(DomainDirectorySchema, {
      domain: 'tenant.example',
      tenantId: 'tn_1',
      tenantName: 'Tenant KK',
      active: true,
      planAddresses: 10,
      services: {
        spam: { subscribed: true, startsOn: '2026-01-01' },
        virus: { subscribed: true, startsOn: '2026-01-01', endsOn: '2026-12-31' },
        archive: { subscribed: false },
        secondary: { subscribed: true, startsOn: '2026-01-15' },
      },
      addresses: [
        { localPart: 'alice', kind: AddressKind.MAILBOX, userId: 'usr_1' },
        { localPart: 'sales', kind: AddressKind.LIST },
      ],
      server: { hostname: 'mail.tenant.example', ips: ['192.0.2.10', '2001:db8::10'], port: 25 },
      adminEmails: ['admin@tenant.example'],
      limits: { maxMessageBytes: 104_857_600n },
      spamPolicy: { settings: { threshold: '90', action: 'quarantine' } },
      virusPolicy: { settings: {} },
      archivePolicy: { settings: { whenFull: 'stop' } },
      revision: 7n,
      updatedAt: at,
    }),
  ],
  [
    'TenantChanged',
    TenantChangedSchema,
    create(TenantChangedSchema, {
      tenantId: 'tn_1',
      revision: 3n,
      kind: ChangeKind.UPSERT,
      domains: ['tenant.example'],
      changedAt: at,
    }),
  ],
];

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('codecFor', () => {
  it.each(samples)('round-trips %s through JSON', (_name, schema, message) => {
    const codec = codecFor(schema);
    const decoded = codec.decode(codec.encode(message));
    expect(equals(schema, decoded, message)).toBe(true);
    expect(decoded).toEqual(message);
  });

  it('has one ready codec per event type', () => {
    expect(
      Object.values(Codecs)
        .map((codec) => codec.typeName)
        .sort(),
    ).toEqual(samples.map(([, schema]) => schema.typeName).sort());
  });

  it('writes readable canonical JSON (enum names, 64-bit integers as strings, RFC 3339 times)', () => {
    const json = JSON.parse(text(Codecs.mailReceived.encode(mailReceived))) as Record<string, unknown>;
    expect(json).toMatchObject({
      messageId: '01JGZ8Y6Q4V3K2M1N0P9R8S7T6',
      direction: 'DIRECTION_INBOUND',
      size: '123456789012',
      receivedAt: '2026-01-02T03:04:05.678Z',
    });
  });

  it('ignores fields and enum values it does not know, so old consumers survive new producers', () => {
    const json = JSON.parse(text(Codecs.mailReceived.encode(mailReceived))) as Record<string, unknown>;
    const newer = { ...json, quantumSignature: { qubits: 7 }, direction: 'DIRECTION_SIDEWAYS' };
    const decoded = Codecs.mailReceived.decode(bytes(JSON.stringify(newer)));
    expect(decoded.messageId).toBe(mailReceived.messageId);
    expect(decoded.size).toBe(123_456_789_012n);
    expect(decoded.direction).toBe(Direction.UNSPECIFIED);
  });

  it.each([
    ['not JSON', bytes('{nope')],
    ['a wrong field type', bytes('{"size":"lots"}')],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
  ])('rejects %s with a permanent ContractDecodeError', (_name, payload) => {
    let error: unknown;
    try {
      Codecs.mailReceived.decode(payload);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ContractDecodeError);
    expect(isPermanent(error)).toBe(true);
    expect((error as Error).message).toContain('torii.mail.v1.MailReceived');
  });

  it('refuses to encode a message of another type', () => {
    const wrong = create(TenantChangedSchema, { tenantId: 't' });
    expect(() => Codecs.mailReceived.encode(wrong as never)).toThrow(ContractValueError);
  });
});
