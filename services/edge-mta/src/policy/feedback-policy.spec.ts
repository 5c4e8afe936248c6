import { Direction, FeedbackKind } from '@torii/contracts';
import { directoryEntry } from '../../test/support/directory';
import { decideFeedbackRecipient, type FeedbackInput } from './feedback-policy';

const filtered = directoryEntry({ domain: 'a.example', tenantId: 't1', spam: true, addresses: ['alice'] });
const unfiltered = directoryEntry({ domain: 'b.example', tenantId: 't1', addresses: ['bob'] });

function input(overrides: Partial<FeedbackInput>): FeedbackInput {
  return {
    feedbackDomain: 'feedback.torii.test',
    recipientLocalPart: 'spam',
    recipientDomain: 'feedback.torii.test',
    listener: 'relay',
    direction: Direction.OUTBOUND,
    senderLocalPart: 'alice',
    senderDirectory: filtered,
    transactionReport: undefined,
    transactionRecipients: 0,
    ...overrides,
  };
}

describe('decideFeedbackRecipient (SPAM14 by mail)', () => {
  const cases: [string, FeedbackInput, string][] = [
    ['spam@ from a registered address through the relay port', input({}), 'accept'],
    ['not-spam@, any case', input({ recipientLocalPart: 'Not-Spam', recipientDomain: 'Feedback.Torii.Test' }), 'accept'],
    ['the same address twice', input({ transactionReport: FeedbackKind.FALSE_NEGATIVE, transactionRecipients: 1 }), 'accept'],
    ['feedback by mail off', input({ feedbackDomain: undefined }), 'not-feedback'],
    ['an ordinary recipient', input({ recipientDomain: 'gmail.test' }), 'not-feedback'],
    ['an ordinary recipient after a report', input({ recipientDomain: 'gmail.test', transactionReport: FeedbackKind.FALSE_NEGATIVE, transactionRecipients: 1 }), 'mixed'],
    ['a report after ordinary recipients', input({ transactionRecipients: 1 }), 'mixed'],
    ['not-spam@ after spam@', input({ recipientLocalPart: 'not-spam', transactionReport: FeedbackKind.FALSE_NEGATIVE, transactionRecipients: 1 }), 'mixed'],
    ['on the inbound port', input({ listener: 'inbound', direction: Direction.INBOUND }), 'inbound'],
    ['on the inbound port, even from a registered server', input({ listener: 'inbound' }), 'inbound'],
    ['another local part of the feedback domain', input({ recipientLocalPart: 'postmaster' }), 'unknown-address'],
    ['a local part that is an Object property name', input({ recipientLocalPart: 'constructor' }), 'unknown-address'],
    ['a sender that is not a registered address', input({ senderLocalPart: 'mallory' }), 'unregistered-sender'],
    ['the null sender', input({ senderLocalPart: undefined }), 'unregistered-sender'],
    ['a domain without spam filtering', input({ senderLocalPart: 'bob', senderDirectory: unfiltered }), 'not-subscribed'],
  ];

  it.each(cases)('%s', (_name, feedback, expected) => {
    expect(decideFeedbackRecipient(feedback).kind).toBe(expected);
  });

  it('names what the report says', () => {
    expect(decideFeedbackRecipient(input({}))).toEqual({ kind: 'accept', report: FeedbackKind.FALSE_NEGATIVE });
    expect(decideFeedbackRecipient(input({ recipientLocalPart: 'not-spam' }))).toEqual({ kind: 'accept', report: FeedbackKind.FALSE_POSITIVE });
  });
});
