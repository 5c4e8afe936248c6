import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Codecs, type DomainDirectory, type FeedbackMail, type MailReceived } from '@torii/contracts';

/** A test's own NATS world: a directory bucket and a MAIL stream under a unique subject prefix. */
export interface TestNats {
  nc: NatsConnection;
  jsm: JetStreamManager;
  kv: KV;
  bucket: string;
  stream: string;
  /** SUBJECT_PREFIX for the edge, e.g. `edge_abc.` */
  subjectPrefix: string;
  putDomain(entry: DomainDirectory): Promise<void>;
  /** Every MailReceived on the test stream, with its subject and Nats-Msg-Id. */
  events(): Promise<{ subject: string; msgId: string; event: MailReceived }[]>;
  /** Every FeedbackMail (SPAM14 report by mail) on the test stream. */
  feedbackEvents(): Promise<{ subject: string; msgId: string; event: FeedbackMail }[]>;
  close(): Promise<void>;
}

export async function createTestNats(url: string, name: string): Promise<TestNats> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const bucket = `dir_${name}`;
  const stream = `${name}_MAIL`;
  const subjectPrefix = `${name}.`;
  const kv = await new Kvm(nc).create(bucket, { history: 1 });
  await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}mail.received.>`, `${subjectPrefix}mail.feedback`], duplicate_window: 120_000_000_000 });
  const all = async () => {
    const consumer = await jetstream(nc).consumers.get(stream);
    const info = await jsm.streams.info(stream);
    const out: { subject: string; msgId: string; data: Uint8Array }[] = [];
    if (info.state.messages === 0) return out;
    const batch = await consumer.fetch({ max_messages: info.state.messages, expires: 2_000 });
    for await (const message of batch) {
      out.push({ subject: message.subject, msgId: message.headers?.get('Nats-Msg-Id') ?? '', data: message.data });
      if (out.length >= info.state.messages) break;
    }
    return out;
  };
  return {
    nc,
    jsm,
    kv,
    bucket,
    stream,
    subjectPrefix,
    putDomain: async (entry) => {
      await kv.put(entry.domain, Codecs.domainDirectory.encode(entry));
    },
    events: async () =>
      (await all())
        .filter((m) => m.subject.startsWith(`${subjectPrefix}mail.received.`))
        .map(({ subject, msgId, data }) => ({ subject, msgId, event: Codecs.mailReceived.decode(data) })),
    feedbackEvents: async () =>
      (await all())
        .filter((m) => m.subject === `${subjectPrefix}mail.feedback`)
        .map(({ subject, msgId, data }) => ({ subject, msgId, event: Codecs.feedbackMail.decode(data) })),
    close: async () => {
      await jsm.streams.delete(stream).catch(() => undefined);
      await new Kvm(nc).open(bucket).then((k) => k.destroy()).catch(() => undefined);
      await nc.close();
    },
  };
}
