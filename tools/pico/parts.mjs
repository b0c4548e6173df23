// The meter's parts around the emulated Pico, each at the pins of boards/rpi_pico.py and
// each behaving like the real part, so that the firmware is driven only through its pins:
//
//   Keypad   4x4 membrane matrix: a pressed key connects its row and its column. Every
//            pin level is worked out from what is connected (rows, columns, pull-ups, what
//            drives low), so ghosting and a missing pull-up behave as on the bench. Contacts
//            bounce on press and release; a key can be stuck down.
//   Lcd      PCF8574 I2C backpack + HD44780 16x2: ACKs its address only when the board has
//            put the I2C function on the SDA/SCL pins it is wired to (the bus timing is in
//            chip.mjs); the HD44780 is emulated from the E strobes (8-bit
//            power-on state, 4-bit nibbles, DDRAM, shift, display on/off, busy time) and
//            decoded back to the text the glass shows. Absent (no ACK) or failing (data
//            NACKed) on request.
//   Output   a pin watched as an output: relay (with its active level), LED, buzzer.
//   S0       an open collector on the pulse input: pulses of a given width and period.
//
// Times are emulated nanoseconds (Chip.nanos); every part keeps a history of its changes.

const LOW = 0;
const HIGH = 1;
const INPUT_PULL_UP = 3;
const INPUT_PULL_DOWN = 4;
const BUS_KEEPER = 5;
const FUNC_I2C = 3;

// What an undriven pin reads: its pull-up or pull-down, or 0 when it floats (a floating
// CMOS input reads anything; 0 makes a forgotten pull-up show at once).
function restLevel(pin) {
  const s = pin.value;
  if (s === HIGH || s === INPUT_PULL_UP || s === BUS_KEEPER) return true;
  if (s === LOW || s === INPUT_PULL_DOWN) return false;
  return false;
}

function setInput(pin, level) {
  if (pin.rawInputValue !== level) pin.setInputValue(level);
}

// A tiny deterministic random source for contact bounce (same run, same bounces).
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export class Keypad {
  constructor({ rows, cols, keys, bounceMs = 4, seed = 2026 }) {
    this.rows = rows;
    this.cols = cols;
    this.keys = keys; // labels, row by row ("123A456B789C*0#D")
    this.bounceMs = bounceMs;
    this.random = rng(seed);
    this.closed = new Set(); // key indexes whose contact is closed now
    this.stuck = new Set();
    this.shorts = 0; // times a net was driven high and low at once
  }

  index(label) {
    const i = this.keys.indexOf(label);
    if (i < 0 || label.length !== 1) throw new Error(`no key "${label}" on the keypad`);
    return i;
  }

  attach(mcu) {
    this.mcu = mcu;
    this.closed = new Set(this.stuck);
    for (const n of [...this.rows, ...this.cols]) mcu.gpio[n].addListener(() => this.settle());
    this.settle();
  }

  detach() { this.mcu = null; }

  // Work out every row and column level from the closed contacts: union the nets a closed
  // key joins; a net is low when any pin in it drives low, else high when any pin drives
  // high or pulls up, else it floats (reads 0).
  settle() {
    const mcu = this.mcu;
    if (!mcu) return;
    const pins = [...this.rows, ...this.cols];
    const parent = pins.map((_, i) => i);
    const find = (i) => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    const nc = this.cols.length;
    for (const k of this.closed) {
      const a = find(Math.floor(k / nc));
      const b = find(this.rows.length + (k % nc));
      if (a !== b) parent[a] = b;
    }
    const low = new Set();
    const high = new Set();
    pins.forEach((n, i) => {
      const s = mcu.gpio[n].value;
      if (s === LOW) low.add(find(i));
      else if (s === HIGH) high.add(find(i));
    });
    pins.forEach((n, i) => {
      const net = find(i);
      if (low.has(net) && high.has(net)) this.shorts++;
      let level;
      if (low.has(net)) level = false;
      else if (high.has(net)) level = true;
      else level = pins.some((m, j) => find(j) === net && restLevel(mcu.gpio[m]));
      setInput(mcu.gpio[n], level);
    });
  }

  contact(k, closed) {
    if (closed || this.stuck.has(k)) this.closed.add(k); else this.closed.delete(k);
    this.settle();
  }

  // The contact changes of one press: [ms after the press, closed] with bounce at both
  // ends (a few make/break flickers within bounceMs), held for holdMs.
  pressPlan(holdMs) {
    const plan = [];
    const flicker = (start, final) => {
      let t = start;
      const n = this.bounceMs > 0 ? 2 + Math.floor(this.random() * 3) : 0;
      for (let i = 0; i < n; i++) {
        plan.push([t, final]);
        t += 0.1 + this.random() * (this.bounceMs / n);
        plan.push([t, !final]);
        t += 0.05 + this.random() * 0.3;
      }
      plan.push([t, final]);
      return t;
    };
    const settled = flicker(0, true);
    flicker(settled + holdMs, false);
    return plan;
  }

  setStuck(k, on) {
    if (on) this.stuck.add(k); else this.stuck.delete(k);
    this.contact(k, on);
  }
}

// HD44780 controller, fed the four data lines, RS, RW and E through the backpack.
export class HD44780 {
  constructor({ rows = 2, cols = 16 } = {}) {
    this.rows = rows;
    this.cols = cols;
    this.powerOn(0);
  }

  powerOn(ns) {
    // the internal reset: 8-bit bus, clear display, display off, increment, no shift
    this.poweredAt = ns;
    this.eightBit = true;
    this.twoLines = false;
    this.high = null; // the first nibble of a 4-bit byte
    this.ddram = new Uint8Array(0x80).fill(0x20);
    this.cgram = new Uint8Array(64);
    this.ac = 0;
    this.toCgram = false;
    this.increment = true;
    this.shiftDisplay = false;
    this.shift = 0;
    this.displayOn = false;
    this.busyUntil = ns + 15e6; // nothing is taken in the first 15 ms after power-on
    this.violations = 0; // bytes sent while busy (lost, as on the part)
    this.writes = 0;
  }

  strobe(value, ns) {
    // E fell: the controller latches D7..D4 (and RS, RW)
    const rs = value & 1;
    const rw = value & 2;
    const nibble = value >> 4;
    if (rw) return false; // a read: nothing changes
    if (this.eightBit) return this.execute(rs, nibble << 4, ns);
    if (this.high === null) { this.high = nibble; return false; }
    const byte = (this.high << 4) | nibble;
    this.high = null;
    return this.execute(rs, byte, ns);
  }

  execute(rs, byte, ns) {
    if (ns < this.busyUntil) { this.violations++; return false; }
    let busy = 37e3;
    if (rs) {
      this.writes++;
      if (this.toCgram) this.cgram[this.ac & 0x3f] = byte & 0x1f;
      else this.ddram[this.ac & 0x7f] = byte;
      this.moveCursor(this.increment ? 1 : -1);
      if (this.shiftDisplay && !this.toCgram) this.shift += this.increment ? 1 : -1;
    } else if (byte & 0x80) {
      this.toCgram = false; this.ac = byte & 0x7f;
    } else if (byte & 0x40) {
      this.toCgram = true; this.ac = byte & 0x3f;
    } else if (byte & 0x20) {
      this.eightBit = !!(byte & 0x10); this.twoLines = !!(byte & 0x08);
    } else if (byte & 0x10) {
      if (byte & 0x08) this.shift += byte & 0x04 ? 1 : -1; else this.moveCursor(byte & 0x04 ? 1 : -1);
    } else if (byte & 0x08) {
      this.displayOn = !!(byte & 0x04);
    } else if (byte & 0x04) {
      this.increment = !!(byte & 0x02); this.shiftDisplay = !!(byte & 0x01);
    } else if (byte & 0x02) {
      this.ac = 0; this.toCgram = false; this.shift = 0; busy = 1.52e6;
    } else if (byte & 0x01) {
      this.ddram.fill(0x20); this.ac = 0; this.toCgram = false; this.shift = 0;
      this.increment = true; busy = 1.52e6;
    }
    this.busyUntil = ns + busy;
    return true;
  }

  moveCursor(d) {
    if (this.toCgram) { this.ac = (this.ac + d) & 0x3f; return; }
    // 2-line mode: 0x00-0x27 and 0x40-0x67, wrapping from one line to the other
    let a = this.ac + d;
    if (this.twoLines) {
      if (a === 0x28) a = 0x40; else if (a === 0x68) a = 0x00;
      else if (a === 0x3f) a = 0x27; else if (a === -1) a = 0x67;
    } else a = (a + 0x50) % 0x50;
    this.ac = a & 0x7f;
  }

  // the text on the glass, one string per row (blank while the display is off)
  lines() {
    const out = [];
    for (let r = 0; r < this.rows; r++) {
      let s = '';
      for (let c = 0; c < this.cols; c++) {
        if (!this.displayOn) { s += ' '; continue; }
        const lineLen = this.twoLines ? 40 : 80;
        const pos = (((c + this.shift) % lineLen) + lineLen) % lineLen;
        const addr = (this.twoLines ? (r & 1) * 0x40 : 0) + pos + (r >= 2 ? this.cols : 0);
        s += glyph(this.ddram[addr & 0x7f]);
      }
      out.push(s);
    }
    return out;
  }
}

// Character ROM A00 (the usual one): ASCII, but 0x5C is a yen sign and 0x7E/0x7F arrows;
// 0x00-0x0F are the 8 user glyphs; the Japanese half is not drawn here.
function glyph(code) {
  if (code < 0x10) return '\u2592';
  if (code === 0x5c) return '\u00a5';
  if (code === 0x7e) return '\u2192';
  if (code === 0x7f) return '\u2190';
  if (code >= 0x20 && code < 0x7e) return String.fromCharCode(code);
  return '\u00b7';
}

export class Lcd {
  constructor({ i2c = 0, sda, scl, addr = 0x27, mode = 'present' }) {
    this.bus = i2c;
    this.sda = sda;
    this.scl = scl;
    this.addr = addr;
    this.mode = mode; // present | absent (no ACK) | nack (address ACKed, data NACKed)
    this.hd = new HD44780();
    this.port = 0xff; // PCF8574 outputs (quasi-bidirectional: high at power-on)
    this.history = []; // [ns, line 1, line 2] at every change of the text
    this.stats = { transactions: 0, bytes: 0, nacks: 0, wrongPins: 0 };
    this.onChange = null;
  }

  powerOn(ns) {
    this.hd.powerOn(ns);
    this.port = 0xff;
    this.record(ns);
  }

  setMode(mode, ns) {
    if (this.mode !== 'present' && mode === 'present') this.powerOn(ns); // plugged back in
    this.mode = mode;
  }

  attach(mcu) {
    this.mcu = mcu;
    this.current = false; // addressed in the transaction in progress
  }

  // The target side of I2C (chip.mjs calls these at the end of each byte on the bus).
  // The backpack sees the bus only if the board has put I2C on the pins it is wired to.
  i2cConnect(address) {
    this.stats.transactions++;
    const gpio = this.mcu.gpio;
    const pinsOk = gpio[this.sda].functionSelect === FUNC_I2C
      && gpio[this.scl].functionSelect === FUNC_I2C;
    if (!pinsOk) this.stats.wrongPins++;
    this.current = pinsOk && address === this.addr && this.mode !== 'absent';
    if (!this.current && address === this.addr) this.stats.nacks++;
    return this.current;
  }

  i2cWrite(value, ns) {
    if (!this.current || this.mode !== 'present') { this.stats.nacks++; return false; }
    this.write(value, ns);
    return true;
  }

  i2cRead() { return this.port; }

  i2cStop() { this.current = false; }

  write(value, ns) {
    this.stats.bytes++;
    const fell = (this.port & 0x04) && !(value & 0x04);
    this.port = value;
    if (fell && this.hd.strobe(value, ns)) this.record(ns);
  }

  get backlight() { return !!(this.port & 0x08); }

  lines() { return this.hd.lines(); }

  record(ns) {
    const [a, b] = this.hd.lines();
    const last = this.history[this.history.length - 1];
    if (last && last[1] === a && last[2] === b) return;
    this.history.push([ns, a, b]);
    if (this.history.length > 4000) this.history.splice(0, 1000);
    this.onChange?.(ns);
  }
}

export class Output {
  constructor({ pin, activeLow = false, name }) {
    this.pin = pin;
    this.activeLow = activeLow;
    this.name = name;
    this.on = false;
    this.history = []; // [ns, on]
    this.rises = 0;
    this.onChange = null;
  }

  attach(mcu, now) {
    const pin = mcu.gpio[this.pin];
    pin.addListener(() => this.update(pin, now()));
    this.update(pin, now());
  }

  // an unpowered board drives nothing: an active-high part is off, an active-low module
  // (input pulled up on the module) is off too
  powerOff(ns) { this.set(false, ns); }

  update(pin, ns) {
    const s = pin.value;
    const driven = s === LOW || s === HIGH;
    this.set(driven && ((s === HIGH) !== this.activeLow), ns);
  }

  set(on, ns) {
    if (on === this.on) return;
    this.on = on;
    if (on) this.rises++;
    this.history.push([ns, on]);
    if (this.history.length > 4000) this.history.splice(0, 1000);
    this.onChange?.(ns);
  }
}

export class S0 {
  constructor({ pin }) {
    this.pin = pin;
    this.active = false; // the open collector conducts (pulls the input low)
    this.sent = 0;
  }

  attach(mcu) {
    this.mcu = mcu;
    const pin = mcu.gpio[this.pin];
    pin.addListener(() => this.settle());
    this.settle();
  }

  detach() { this.mcu = null; this.active = false; }

  settle() {
    if (!this.mcu) return;
    const pin = this.mcu.gpio[this.pin];
    setInput(pin, this.active ? false : restLevel(pin));
  }

  set(active) {
    if (active && !this.active) this.sent++;
    this.active = active;
    this.settle();
  }
}
