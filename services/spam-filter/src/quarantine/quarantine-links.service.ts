import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@torii/http';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import { QuarantineRepository } from './quarantine.repository';
import { escapeHtml, oneLine, verifyLink, type LinkClaims } from './quarantine.rules';
import { QuarantineService } from './quarantine.service';

export interface Page {
  status: number;
  html: string;
}

const LABEL: Record<LinkClaims['p'], string> = {
  release: 'Release this message to your mailbox / このメールを受信箱に配信',
  'allow-sender': 'Release and always allow this sender / 配信して送信者を許可',
};

/** The confirmation page of a digest link and the action its POST performs. */
@Injectable()
export class QuarantineLinksService {
  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly repository: QuarantineRepository,
    private readonly quarantine: QuarantineService,
  ) {}

  private page(status: number, title: string, body: string): Page {
    const html = `<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(`${this.config.TORII_BRAND} — ${title}`)}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto">
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
    return { status, html };
  }

  /** Checks the token and finds the item (still in the box it was issued for). */
  private async resolve(token: string): Promise<{ claims: LinkClaims; item: NonNullable<Awaited<ReturnType<QuarantineRepository['item']>>> } | Page> {
    const check = verifyLink(this.config.QUARANTINE_LINK_SECRET, token, new Date());
    if (!check.ok) {
      return check.why === 'expired'
        ? this.page(410, 'Link expired / リンクの有効期限切れ', '<p>This link has expired. / このリンクは有効期限が切れています。</p>')
        : this.page(404, 'Invalid link / 無効なリンク', '<p>This link is not valid. / このリンクは無効です。</p>');
    }
    if (await this.repository.tokenUsed(check.claims.j)) return this.page(409, 'Already done / 処理済み', '<p>This link was already used. / このリンクは使用済みです。</p>');
    const item = await this.repository.item(check.claims.i);
    if (!item || item.address !== check.claims.a) return this.notInQuarantine();
    return { claims: check.claims, item };
  }

  private notInQuarantine(): Page {
    return this.page(404, 'Not in quarantine / 隔離されていません', '<p>The message is no longer in quarantine. / このメールはもう隔離ボックスにありません。</p>');
  }

  async confirmPage(token: string): Promise<Page> {
    const found = await this.resolve(token);
    if ('html' in found) return found;
    const { claims, item } = found;
    return this.page(
      200,
      LABEL[claims.p],
      `<table>
<tr><th align="left">To / 宛先</th><td>${escapeHtml(item.address)}</td></tr>
<tr><th align="left">From / 送信者</th><td>${escapeHtml(oneLine(item.sender))}</td></tr>
<tr><th align="left">Subject / 件名</th><td>${escapeHtml(oneLine(item.subject))}</td></tr>
<tr><th align="left">Date / 日時</th><td>${escapeHtml(item.date.toISOString())}</td></tr>
<tr><th align="left">Score</th><td>${item.scorePercent.toFixed(2)}%</td></tr>
</table>
<form method="post"><button type="submit">${escapeHtml(LABEL[claims.p])}</button></form>`,
    );
  }

  async act(token: string): Promise<Page> {
    const found = await this.resolve(token);
    if ('html' in found) return found;
    const { claims, item } = found;
    if (!(await this.repository.useToken(claims.j))) return this.page(409, 'Already done / 処理済み', '<p>This link was already used. / このリンクは使用済みです。</p>');
    // The box's owner acts through a link we signed for them (the digest went to their address).
    const actor = this.quarantine.actor({ subject: `digest-link:${item.address}`, role: 'user' }, item.tenantId, item.domain);
    let result: Awaited<ReturnType<QuarantineService['releaseItem']>>;
    try {
      result = await this.quarantine.releaseItem(item, actor, claims.p === 'allow-sender');
    } catch (error) {
      // Deleted or expired since it was read (the release sent nothing): the page an absent item gets.
      if (error instanceof ProblemException && error.code === 'not-found') return this.notInQuarantine();
      throw error;
    }
    return this.page(
      200,
      'Released / 配信しました',
      `<p>${escapeHtml(oneLine(item.subject))} — released to ${escapeHtml(item.address)}.${result.allowed ? ` ${escapeHtml(result.allowed)} is now on your allow list. / 送信者を許可リストに追加しました。` : ''}` +
        (result.allowListActive === false
          ? ` Your allow list is inactive while your domain's rules come first; ask your administrator. / ドメインフィルタ優先のため、許可リストは現在無効です。管理者にお問い合わせください。`
          : '') +
        '</p>',
    );
  }
}
