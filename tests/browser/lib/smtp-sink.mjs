// A small SMTP sink for the journeys: listens on loopback, accepts every message
// (220 greeting, EHLO/HELO 250, MAIL/RCPT/DATA/RSET/NOOP/QUIT; no STARTTLS offered,
// no AUTH) and keeps what it received so a journey can read a signing link.
//   const sink = await SmtpSink.start();  … sink.port …  const [m] = await sink.waitFor(1);
//   m.from, m.rcpt, m.raw, m.headers (lower-case names), m.subject, m.text (decoded body)
// Bodies are decoded as far as the journeys need: quoted-printable and base64,
// single-part or the text/plain part of a multipart message; RFC 2047 encoded
// words in the subject.
import { createServer } from 'node:net';

function decodeQuotedPrintableBytes(s) {
  const bytes = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return bytes;
}

function decodeQuotedPrintable(s) {
  return Buffer.from(decodeQuotedPrintableBytes(s)).toString('utf8');
}

function decodeTransfer(body, encoding) {
  const e = (encoding || '7bit').trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

// "=?UTF-8?B?…?=" and "=?UTF-8?Q?…?=" words; adjacent ones are joined as bytes before the
// UTF-8 decoding (a character may be split across two words).
function decodeWords(value) {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  return value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)(\s+(?==\?))?/g, '$1').replace(/(?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) => {
    const bytes = [];
    for (const [, , kind, text] of run.matchAll(word)) {
      const b = kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64')
        : Buffer.from(decodeQuotedPrintableBytes(text.replace(/_/g, ' ')));
      bytes.push(...b);
    }
    return Buffer.from(bytes).toString('utf8');
  });
}

// Headers (unfolded, lower-case names; a repeated header keeps its last value) and the raw body.
function splitMessage(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function textOf(headers, body) {
  const type = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type);
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary[1]}`).slice(1).filter((p) => !p.startsWith('--'));
    const texts = parts.map((p) => {
      const part = splitMessage(p.replace(/^\r?\n/, ''));
      return { type: part.headers['content-type'] || 'text/plain', text: textOf(part.headers, part.body) };
    });
    const plain = texts.find((t) => /^text\/plain/i.test(t.type));
    return (plain || texts[0] || { text: '' }).text;
  }
  return decodeTransfer(body, headers['content-transfer-encoding']);
}

export class SmtpSink {
  constructor() {
    this.messages = [];
    this.waiters = [];
    this.sockets = new Set();
  }

  static async start() {
    const sink = new SmtpSink();
    sink.server = createServer((socket) => sink.session(socket));
    await new Promise((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', resolve);
    });
    sink.port = sink.server.address().port;
    return sink;
  }

  session(socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let data = [];
    let envelope = { from: '', rcpt: [] };
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 127.0.0.1 smtp-sink des parcours Passerelle');
    socket.setEncoding('latin1'); // bytes as they came: the body is decoded as UTF-8 afterwards
    socket.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (inData) {
          if (line === '.') {
            inData = false;
            this.received(envelope, Buffer.from(data.join('\r\n'), 'latin1').toString('utf8'));
            envelope = { from: '', rcpt: [] };
            data = [];
            reply('250 2.0.0 message accepte');
          } else {
            data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') { socket.write('250-127.0.0.1\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n'); }
        else if (verb === 'HELO') reply('250 127.0.0.1');
        else if (verb === 'MAIL') { envelope = { from: (/<([^>]*)>/.exec(line) || [])[1] || '', rcpt: [] }; reply('250 2.1.0 ok'); }
        else if (verb === 'RCPT') { envelope.rcpt.push((/<([^>]*)>/.exec(line) || [])[1] || ''); reply('250 2.1.5 ok'); }
        else if (verb === 'DATA') {
          if (!envelope.rcpt.length) { reply('503 5.5.1 RCPT d’abord'); continue; }
          inData = true;
          reply('354 fin par <CRLF>.<CRLF>');
        } else if (verb === 'RSET') { envelope = { from: '', rcpt: [] }; reply('250 2.0.0 ok'); }
        else if (verb === 'NOOP') reply('250 2.0.0 ok');
        else if (verb === 'QUIT') { reply('221 2.0.0 au revoir'); socket.end(); }
        else reply('502 5.5.2 commande non prise en charge');
      }
    });
  }

  received(envelope, raw) {
    const { headers, body } = splitMessage(raw);
    const message = {
      from: envelope.from,
      rcpt: envelope.rcpt,
      raw,
      headers,
      subject: decodeWords(headers.subject || ''),
      text: textOf(headers, body),
    };
    this.messages.push(message);
    this.waiters = this.waiters.filter((w) => {
      if (!w.done(this.messages)) return true;
      w.resolve(this.messages.slice());
      return false;
    });
  }

  // The messages once at least `count` arrived. `limitMs` only bounds a journey that would
  // otherwise hang (the mail loop sends every few hundred milliseconds): it measures nothing.
  waitFor(count, limitMs = 30000) {
    return this.waitUntil((all) => all.length >= count, `${count} message(s)`, limitMs);
  }

  // The messages for `address` once at least `count` arrived for it.
  waitForRecipient(address, count = 1, limitMs = 30000) {
    const mine = (all) => all.filter((m) => m.rcpt.includes(address));
    return this.waitUntil((all) => mine(all).length >= count, `${count} message(s) pour ${address}`, limitMs).then(mine);
  }

  waitUntil(done, what, limitMs) {
    if (done(this.messages)) return Promise.resolve(this.messages.slice());
    return new Promise((resolve, reject) => {
      const w = { done, resolve: (m) => { clearTimeout(w.timer); resolve(m); }, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`smtp-sink : ${this.messages.length} message(s) reçu(s), ${what} attendu(s)`));
      }, limitMs);
      this.waiters.push(w);
    });
  }

  async close() {
    for (const w of this.waiters) clearTimeout(w.timer), w.reject(new Error(`smtp-sink fermé avec ${this.messages.length} message(s)`));
    this.waiters = [];
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
