// The virtual Pico as a process: the chip (chip.mjs) with the meter's parts (parts.mjs).
//
//   node tools/pico/server.mjs CONFIG_JSON CONTROL_FD
//
// stdin/stdout carry the USB serial bytes (host -> board, board -> host); CONTROL_FD is a
// socket carrying JSON lines: requests {"id", "op", ...} and one answer {"id", ...} each.
// tools/virtual_pico.py starts it, gives the serial a pty and speaks the control protocol;
// the ops are documented there. Every time is emulated (ns), never wall time.
import fs from 'node:fs';
import net from 'node:net';
import { Chip } from './chip.mjs';
import { Keypad, Lcd, Output, S0 } from './parts.mjs';

const config = JSON.parse(process.argv[2]);
const controlFd = Number(process.argv[3]);
const pins = config.pins;

const keypad = new Keypad({ rows: pins.KEYPAD_ROWS, cols: pins.KEYPAD_COLS, keys: pins.KEYPAD_KEYS,
  bounceMs: config.bounce_ms ?? 4 });
const lcd = new Lcd({ i2c: pins.I2C_ID, sda: pins.I2C_SDA, scl: pins.I2C_SCL,
  addr: pins.DISPLAY_ADDR, mode: config.lcd ?? 'present' });
const outputs = {
  relay: new Output({ pin: pins.RELAY_PIN, activeLow: !!pins.RELAY_ACTIVE_LOW, name: 'relay' }),
  led: new Output({ pin: pins.LED_PIN, name: 'led' }),
  buzzer: new Output({ pin: pins.BUZZER_PIN, name: 'buzzer' }),
};
const s0 = new S0({ pin: pins.PULSE_PIN });

let console_ = ''; // everything the board wrote on its USB serial (the tail of it)
let consoleBase = 0; // offset of console_[0] in the whole stream
const CONSOLE_MAX = 1 << 20;
let lastCut = null;
const flashLog = []; // recent erase/program operations [ns, kind, offset, bytes]
const waiters = new Set(); // pending waits: {check(), done(result), alarm}

const chip = new Chip({
  uf2: config.uf2,
  image: config.image,
  timing: config.flash_timing,
  onSerial: (buf) => {
    const b = Buffer.from(buf);
    process.stdout.write(b);
    console_ += b.toString('latin1');
    if (console_.length > CONSOLE_MAX) {
      const drop = console_.length - CONSOLE_MAX / 2;
      console_ = console_.slice(drop);
      consoleBase += drop;
    }
    poke();
  },
  onFlash: (op) => {
    flashLog.push([chip.nanos, op.kind, op.offset, op.bytes]);
    if (flashLog.length > 10000) flashLog.splice(0, 5000);
    if (op.cut) lastCut = { ...op.cut, ns: chip.nanos };
  },
  onPower: (state, why) => {
    if (state === 'on') {
      const ns = chip.nanos;
      const mcu = chip.mcu;
      const now = () => chip.nanos;
      if (why !== 'reset') lcd.powerOn(ns); // a board reset leaves the LCD powered
      keypad.attach(mcu);
      lcd.attach(mcu);
      for (const o of Object.values(outputs)) o.attach(mcu, now);
      s0.attach(mcu);
    } else {
      keypad.detach();
      s0.detach();
      if (why !== 'reset') {
        for (const o of Object.values(outputs)) o.powerOff(chip.nanos);
        lcd.hd.displayOn = false; // no power, nothing on the glass
        lcd.record(chip.nanos);
      }
      // whatever waited for the chip is over
      for (const w of [...waiters]) w.finish({ ok: false, off: true, why });
    }
  },
});
chip.i2c[pins.I2C_ID].push(lcd);
chip.realtime = !!config.realtime;
chip.stepped = !!config.stepped;
lcd.onChange = poke;
for (const o of Object.values(outputs)) o.onChange = poke;

function poke() {
  for (const w of [...waiters]) w.check();
}

// Run `fn` `ms` emulated milliseconds from now (the chip must be on).
function after(ms, fn) {
  chip.sim.clock.createAlarm(fn).schedule(Math.round(Math.max(0, ms) * 1e6));
}

// Something that needs the chip running until it finishes (or the power goes off).
function task(reply, start) {
  if (!chip.on) return reply({ ok: false, off: true, why: 'off' });
  chip.busy++;
  let finished = false;
  const w = {
    check: () => {},
    finish: (result) => {
      if (finished) return;
      finished = true;
      waiters.delete(w);
      chip.busy--;
      reply({ ns: chip.nanos, ...result });
    },
  };
  waiters.add(w);
  const boot = chip.sim;
  start(w, (ms, fn) => after(ms, () => { if (!finished && chip.sim === boot) fn(); }));
  chip.kick();
}

function state() {
  const [l1, l2] = lcd.lines();
  return {
    on: chip.on, ns: chip.nanos, boot_ns: chip.bootNs, cycles: chip.cycles,
    lcd: [l1, l2], backlight: lcd.backlight, lcd_mode: lcd.mode,
    relay: outputs.relay.on, led: outputs.led.on, buzzer: outputs.buzzer.on,
    beeps: outputs.buzzer.rises, pulses_sent: s0.sent,
    keys_down: [...keypad.closed].map((k) => keypad.keys[k]),
    flash: { ...chip.flash }, last_cut: lastCut,
    lcd_stats: { ...lcd.stats, busy_violations: lcd.hd.violations, chars_written: lcd.hd.writes },
    keypad_shorts: keypad.shorts,
    console_end: consoleBase + console_.length,
  };
}

// A condition on the board: {lcd: regex on "line1\nline2", relay: bool, console: regex
// on the serial output after `since`, led, buzzer}; all given parts must hold.
function matcher(req) {
  const lcdRe = req.lcd != null ? new RegExp(req.lcd) : null;
  const conRe = req.console != null ? new RegExp(req.console) : null;
  const since = req.since ?? 0;
  return () => {
    if (lcdRe && !lcdRe.test(lcd.lines().join('\n'))) return false;
    if (conRe && !conRe.test(console_.slice(Math.max(0, since - consoleBase)))) return false;
    for (const name of ['relay', 'led', 'buzzer']) {
      if (req[name] != null && outputs[name].on !== req[name]) return false;
    }
    return true;
  };
}

const ops = {
  power(req, reply) {
    if (req.on) {
      chip.powerOn();
      if (req.stepped !== undefined) chip.stepped = !!req.stepped;
    } else chip.powerOff(req.why ?? 'cut');
    reply(state());
  },
  reset(req, reply) { chip.reset(); reply(state()); },
  state(req, reply) { reply(state()); },
  mode(req, reply) {
    if (req.realtime != null) chip.realtime = !!req.realtime;
    if (req.stepped != null) { chip.stepped = !!req.stepped; chip.kick(); }
    if (req.lcd != null) lcd.setMode(req.lcd, chip.nanos);
    reply(state());
  },
  // Let `ms` of emulated time pass.
  run(req, reply) {
    task(reply, (w, at) => at(req.ms ?? 0, () => w.finish({ ok: true })));
  },
  // Wait until a condition holds (see matcher) or timeout_ms of emulated time passed.
  wait(req, reply) {
    const test = matcher(req);
    task(reply, (w, at) => {
      w.check = () => { if (test()) w.finish({ ok: true, lcd: lcd.lines() }); };
      at(req.timeout_ms ?? 10000, () => w.finish({ ok: false, lcd: lcd.lines() }));
      w.check();
    });
  },
  // Type keys as a person does: each held hold_ms (bouncing), gap_ms between keys.
  // Answers with the emulated time each key's contact first closed and opened for good.
  type(req, reply) {
    const hold = req.hold_ms ?? 80;
    const gap = req.gap_ms ?? 80;
    let keys;
    try { keys = [...req.keys].map((k) => keypad.index(k)); } catch (e) { return reply({ error: e.message }); }
    task(reply, (w, at) => {
      const pressed = [];
      const released = [];
      let t = req.delay_ms ?? 0;
      keys.forEach((k, i) => {
        const plan = keypad.pressPlan(hold);
        for (const [ms, closed] of plan) {
          at(t + ms, () => {
            if (closed && pressed[i] === undefined) pressed[i] = chip.nanos;
            keypad.contact(k, closed);
          });
        }
        const end = t + plan[plan.length - 1][0];
        at(end, () => { released[i] = chip.nanos; });
        t = end + gap;
      });
      // (an alarm set for the same instant as the last release would run before it)
      at(t + 0.001, () => w.finish({ ok: true, pressed, released }));
    });
  },
  // A key stuck down (or freed).
  stick(req, reply) {
    try { keypad.setStuck(keypad.index(req.key), !!req.on); } catch (e) { return reply({ error: e.message }); }
    reply(state());
  },
  // S0 pulses: n pulses of width_ms every period_ms.
  pulses(req, reply) {
    const n = req.n ?? 1;
    const period = req.period_ms ?? 100;
    const width = req.width_ms ?? 30;
    task(reply, (w, at) => {
      for (let i = 0; i < n; i++) {
        at(i * period, () => s0.set(true));
        at(i * period + width, () => s0.set(false));
      }
      at(n * period, () => w.finish({ ok: true, sent: n }));
    });
  },
  // Cut the power part-way through a later flash operation (see Chip.armCut).
  cut(req, reply) {
    chip.armCut(req.after ?? 0, req.fraction ?? 0.5, req.kinds ?? ['erase', 'program']);
    lastCut = null;
    reply(state());
  },
  history(req, reply) {
    const since = req.since ?? 0;
    reply({
      lcd: lcd.history.filter((h) => h[0] >= since),
      relay: outputs.relay.history.filter((h) => h[0] >= since),
      led: outputs.led.history.filter((h) => h[0] >= since),
      buzzer: outputs.buzzer.history.filter((h) => h[0] >= since),
      flash: flashLog.filter((h) => h[0] >= since),
    });
  },
  // Bytes from the host on the USB serial, as a terminal would send them (latin1 text).
  write(req, reply) {
    chip.writeSerial(Buffer.from(req.text ?? '', 'latin1'));
    reply({ ok: true });
  },
  console(req, reply) {
    const from = Math.max(req.since ?? 0, consoleBase);
    reply({ text: console_.slice(from - consoleBase), end: consoleBase + console_.length });
  },
  quit(req, reply) {
    chip.close();
    reply({ ok: true });
    setTimeout(() => process.exit(0), 10);
  },
};

const control = new net.Socket({ fd: controlFd, readable: true, writable: true });
let pending = '';
control.setEncoding('utf8');
control.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (!line.trim()) continue;
    let req;
    try { req = JSON.parse(line); } catch { continue; }
    const reply = (obj) => control.write(JSON.stringify({ id: req.id, ...obj }) + '\n');
    const op = ops[req.op];
    if (!op) { reply({ error: `unknown op ${req.op}` }); continue; }
    try { op(req, reply); } catch (e) { reply({ error: String(e && e.message || e) }); }
  }
});
const quit = () => { chip.close(); process.exit(0); };
control.on('end', quit);
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
process.stdin.on('data', (chunk) => chip.writeSerial(chunk));
process.stdin.on('error', () => {});
process.stdout.on('error', () => {});
if (config.power !== false) chip.powerOn();
