// The emulated Raspberry Pi Pico itself: MicroPython's rp2 firmware (a UF2) on rp2040js,
// with its flash kept in an image file, its USB serial, and power: on, off, reset.
//
//   const chip = new Chip({ uf2, image, onSerial, onPower });
//   chip.powerOn();            // boots the firmware; chip.mcu is the RP2040 until power off
//   chip.writeSerial(bytes);   // host -> board (USB CDC)
//   chip.powerOff('cut');      // power cut: everything stops, RAM is lost, flash stays
//
// What rp2040js does not do and this file adds (see rom/PROVENANCE.md and the README):
// 1. Flash erase and program. rp2040js' SSI model ignores them, so littlefs fails. The
//    boot ROM's flash_range_erase ("RE") and flash_range_program ("RP") start with
//    "bkpt; bx lr" here, and the breakpoint does the work in JS. Each one is written
//    through to the image file at once (the file IS the filesystem part of the flash, so a
//    power cut at any instant leaves it as the chip's flash would be) and costs emulated
//    time as the flash chip would take: the RP2040 cannot run from flash while it erases
//    or programs, and MicroPython's rp2 port stalls the CPU, interrupts included.
// 2. USB: rp2040js' CDC host answers every armed OUT endpoint at once with an empty packet,
//    an interrupt storm a real host never causes. Here an OUT request waits for host data.
// 3. Time: idle time (WFI/WFE) is skipped, as in rp2040js. `realtime` paces the skipping
//    to the wall clock, for a person or a host tool with timeouts of its own; `stepped`
//    runs the chip only while something waits for it (tests: every run is the same).
// 4. I2C timing. rp2040js completes a transfer at once and raises TX_EMPTY when it takes a
//    byte from the FIFO. Here every byte (the address too) takes 9 SCL periods of the
//    clock the firmware set, TX_EMPTY rises when the byte has gone out (IC_CON
//    TX_EMPTY_CTRL, as the pico-sdk sets it) and after an abort (a NACK flushes the
//    FIFO): the pico-sdk then sees a NACK as the RP2040 shows it (EIO at once, not a
//    timeout), and a display update takes the bus time it takes on a Pico.
//    The targets on each bus are `chip.i2c[n]`: objects with i2cConnect(address, read),
//    i2cWrite(byte, ns), i2cRead(), i2cStop(); the first to ACK an address gets it.
// 5. Reset: the watchdog reboot (machine.reset(), mpremote reset) restarts the chip with
//    its flash; a power cycle does the same and also resets the devices (see parts.mjs).
import fs from 'node:fs';
import { Simulator, USBCDC, ConsoleLogger, LogLevel } from 'rp2040js';
import { bootromB1 } from './rom/bootrom-b1.mjs';

const FLASH_BASE = 0x10000000;
export const FLASH_SIZE = 2 * 1024 * 1024; // W25Q16JV on the Pico
// MicroPython's RPI_PICO board: the filesystem is the last 1408 KB of the flash
export const FS_OFFSET = FLASH_SIZE - 1408 * 1024;
export const FS_SIZE = 1408 * 1024;
const CYCLE_NS = 8; // 125 MHz
const BKPT_ERASE = 0xe0;
const BKPT_PROGRAM = 0xe1;
const BATCH = 200000;
const I2C_TX_EMPTY = 1 << 4; // IC_RAW_INTR_STAT // instructions per turn of the event loop

// W25Q16JV typical times (datasheet: sector erase 45 ms typ / 400 ms max, page program
// 0.4-0.7 ms typ / 3 ms max). Options of the chip, stated beside every figure.
export const FLASH_TIMING = { eraseSectorMs: 45, programPageMs: 0.7 };

export function parseUF2(buf) {
  const blocks = [];
  for (let off = 0; off + 512 <= buf.length; off += 512) {
    const dv = new DataView(buf.buffer, buf.byteOffset + off, 512);
    if (dv.getUint32(0, true) !== 0x0a324655 || dv.getUint32(4, true) !== 0x9e5d5157) continue;
    if (dv.getUint32(8, true) & 1) continue; // "not main flash"
    const addr = dv.getUint32(12, true);
    const size = dv.getUint32(16, true);
    blocks.push({ addr, data: buf.subarray(off + 32, off + 32 + size) });
  }
  return blocks;
}

// The address of a boot ROM function from its two-letter code (RP2040 ROM function table).
function romFunction(rom16, code) {
  const want = code.charCodeAt(0) | (code.charCodeAt(1) << 8);
  let p = rom16[0x14 / 2];
  for (;;) {
    const c = rom16[p / 2];
    if (!c) throw new Error(`boot ROM has no function ${code}`);
    if (c === want) return rom16[p / 2 + 1];
    p += 4;
  }
}

function patchedBootrom() {
  const rom = new Uint32Array(bootromB1);
  const rom16 = new Uint16Array(rom.buffer);
  for (const [code, n] of [['RE', BKPT_ERASE], ['RP', BKPT_PROGRAM]]) {
    const a = romFunction(rom16, code) & ~1;
    rom16[a / 2] = 0xbe00 | n; // BKPT #n
    rom16[a / 2 + 1] = 0x4770; // BX LR
  }
  return rom;
}

export class Chip {
  constructor({ uf2, image, timing = FLASH_TIMING, onSerial = null, onPower = null,
                onFlash = null, log = LogLevel.Error }) {
    this.firmware = parseUF2(fs.readFileSync(uf2));
    this.rom = patchedBootrom();
    this.imagePath = image;
    this.i2c = [[], []]; // targets on I2C0 and I2C1 (parts.mjs)
    this.timing = timing;
    this.onSerial = onSerial; // (Uint8Array) board -> host
    this.onPower = onPower; // ('on' or 'off', why: 'power', 'cut', 'reset', ...)
    this.onFlash = onFlash; // ({kind, offset, bytes, cut}) after each erase/program
    this.log = log;
    this.on = false;
    this.realtime = false;
    this.stepped = false;
    this.busy = 0; // stepped: things waiting for the chip to run
    this.cut = null; // armed power cut: {after, fraction, kinds}
    this.flash = { erases: 0, programs: 0, erasedBytes: 0, programmedBytes: 0, stallNs: 0 };
    this.bootNs = 0; // emulated time at the last power-on or reset, across boots
    this.hostQueue = []; // host -> board bytes not yet in the CDC FIFO
    this.timeBase = 0; // emulated ns of earlier boots (time keeps running across resets)
    this.cycleBase = 0;
    this.openImage();
  }

  openImage() {
    if (!fs.existsSync(this.imagePath)) {
      fs.writeFileSync(this.imagePath, Buffer.alloc(FS_SIZE, 0xff)); // a blank flash
    }
    const size = fs.statSync(this.imagePath).size;
    if (size !== FS_SIZE) {
      throw new Error(`${this.imagePath}: ${size} bytes, a Pico filesystem image has ${FS_SIZE}`);
    }
    this.imageFd = fs.openSync(this.imagePath, 'r+');
  }

  // CPU cycles executed (not idle) since this chip object was made
  get cycles() {
    return this.cycleBase + (this.mcu ? this.mcu.core.cycles : 0);
  }

  // emulated nanoseconds since this chip object was made (runs on across resets)
  get nanos() {
    return this.timeBase + (this.sim ? this.sim.clock.nanos : 0);
  }

  powerOn(why = 'power') {
    if (this.on) return;
    const sim = (this.sim = new Simulator());
    const mcu = (this.mcu = sim.rp2040);
    mcu.loadBootrom(this.rom);
    mcu.logger = new ConsoleLogger(this.log);
    for (const { addr, data } of this.firmware) mcu.flash.set(data, addr - FLASH_BASE);
    fs.readSync(this.imageFd, mcu.flash, FS_OFFSET, FS_SIZE, 0);
    mcu.onBreak = (code) => this.onBreak(code);
    // rp2040js keeps the watchdog only in its peripheral map
    mcu.peripherals[0x40058].onWatchdogTrigger = () => { this.resetPending = true; };
    this.resetPending = false;
    mcu.i2c.forEach((ctrl, n) => this.wireI2C(ctrl, n));
    this.setupUsb(mcu);
    this.on = true;
    this.bootNs = this.nanos;
    mcu.core.PC = FLASH_BASE; // boot2 at the start of flash, as rp2040js' demo does
    this.lastTurn = process.hrtime.bigint();
    this.idleBudget = 0;
    this.onPower?.('on', why);
    this.kick();
  }

  powerOff(why = 'off') {
    if (!this.on) return;
    this.on = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.timeBase = this.nanos;
    this.cycleBase = this.cycles;
    this.sim.stop();
    this.sim = null;
    this.mcu = null;
    this.cdc = null;
    this.onPower?.('off', why);
  }

  reset() {
    // a watchdog reboot: RAM and peripherals start again, the flash stays
    this.powerOff('reset');
    this.powerOn('reset');
  }

  close() {
    this.powerOff('exit');
    if (this.imageFd != null) fs.closeSync(this.imageFd);
    this.imageFd = null;
  }

  // --- flash (fix 1) ---
  onBreak(code) {
    const mcu = this.mcu;
    const r = mcu.core.registers;
    if (code !== BKPT_ERASE && code !== BKPT_PROGRAM) {
      console.error(`virtual pico: breakpoint ${code} at 0x${(mcu.core.PC - 2).toString(16)}`);
      this.powerOff('fault');
      return;
    }
    const erase = code === BKPT_ERASE;
    const offset = r[0] >>> 0;
    let n = (erase ? r[1] : r[2]) >>> 0;
    const kind = erase ? 'erase' : 'program';
    const cut = this.cut && this.cut.kinds.includes(kind) && --this.cut.after < 0;
    if (cut) n = Math.floor(n * this.cut.fraction); // the part done when the power went
    if (erase) {
      mcu.flash.fill(0xff, offset, offset + n);
    } else {
      const src = r[1] >>> 0;
      for (let i = 0; i < n; i++) mcu.flash[offset + i] &= mcu.readUint8(src + i);
    }
    this.writeThrough(offset, n);
    const t = this.timing;
    const ns = erase ? Math.ceil(n / 4096) * t.eraseSectorMs * 1e6
      : Math.ceil(n / 256) * t.programPageMs * 1e6;
    const f = this.flash;
    if (erase) { f.erases++; f.erasedBytes += n; } else { f.programs++; f.programmedBytes += n; }
    f.stallNs += ns;
    if (cut) {
      const done = { kind, offset, bytes: n, of: (erase ? r[1] : r[2]) >>> 0 };
      this.cut = null;
      this.onFlash?.({ kind, offset, bytes: n, cut: done });
      this.powerOff('cut');
      return;
    }
    this.sim.clock.tick(ns); // the CPU stalls while the flash works
    this.onFlash?.({ kind, offset, bytes: n, cut: null });
  }

  writeThrough(offset, n) {
    const start = Math.max(offset, FS_OFFSET);
    const end = Math.min(offset + n, FLASH_SIZE);
    if (end > start) fs.writeSync(this.imageFd, this.mcu.flash, start, end - start, start - FS_OFFSET);
  }

  // Cut the power part-way through a later flash operation: `after` operations of the
  // given kinds complete first, then `fraction` of the next one is done and the chip stops.
  armCut(after, fraction, kinds = ['erase', 'program']) {
    this.cut = { after, fraction, kinds };
  }

  // --- I2C (fix 4) ---
  wireI2C(ctrl, n) {
    const targets = this.i2c[n];
    const clock = this.sim.clock;
    let target = null; // the target that ACKed the address of this transaction
    let sending = false; // a byte is on the wire: TX_EMPTY waits for it
    const raise = ctrl.setInterrupts.bind(ctrl);
    ctrl.setInterrupts = (mask) => raise(sending ? mask & ~I2C_TX_EMPTY : mask);
    const abort = ctrl.abort.bind(ctrl);
    ctrl.abort = (reason) => { abort(reason); raise(I2C_TX_EMPTY); };
    const byteNs = () => 9 * Math.max(1, ctrl.sclHighPeriod + ctrl.sclLowPeriod) * CYCLE_NS;
    const onWire = (ns, done) => {
      sending = true;
      ctrl.clearInterrupts(I2C_TX_EMPTY);
      clock.createAlarm(() => {
        sending = false;
        done();
        if (!sending && ctrl.txFIFO.itemCount <= ctrl.txThreshold) raise(I2C_TX_EMPTY);
      }).schedule(ns);
    };
    ctrl.onStart = () => ctrl.completeStart();
    ctrl.onConnect = (address, mode) => onWire(byteNs(), () => {
      target = targets.find((t) => t.i2cConnect(address, mode === 1)) ?? null;
      ctrl.completeConnect(target !== null);
    });
    ctrl.onWriteByte = (value) => onWire(byteNs(), () => {
      ctrl.completeWrite(target !== null && target.i2cWrite(value, this.nanos));
    });
    ctrl.onReadByte = () => onWire(byteNs(), () => ctrl.completeRead(target ? target.i2cRead() : 0xff));
    ctrl.onStop = () => clock.createAlarm(() => {
      target?.i2cStop();
      target = null;
      ctrl.completeStop();
    }).schedule(byteNs() / 9);
  }

  // --- USB serial (fix 2) ---
  setupUsb(mcu) {
    const cdc = (this.cdc = new USBCDC(mcu.usbCtrl));
    this.usbReady = false;
    cdc.onDeviceConnected = () => { this.usbReady = true; this.feed(); };
    cdc.onSerialData = (buf) => this.onSerial?.(buf);
    const usb = mcu.usbCtrl;
    const answer = usb.onEndpointRead; // rp2040js: reply at once, empty when no data
    this.pendingRead = null;
    usb.onEndpointRead = (ep, size) => {
      if (ep === cdc.outEndpoint && cdc.txFIFO.empty && !this.hostQueue.length) {
        this.pendingRead = { ep, size }; // a real host NAKs until it has data
        return;
      }
      answer(ep, size);
    };
    this.answerRead = answer;
  }

  writeSerial(bytes) {
    for (const b of bytes) this.hostQueue.push(b);
    this.feed();
  }

  feed() {
    if (!this.on || !this.usbReady) return;
    const fifo = this.cdc.txFIFO;
    while (this.hostQueue.length && !fifo.full) fifo.push(this.hostQueue.shift());
    if (this.pendingRead && !fifo.empty) {
      const { ep, size } = this.pendingRead;
      this.pendingRead = null;
      this.answerRead(ep, size);
    }
    if (this.hostQueue.length || !fifo.empty) this.kick();
  }

  // --- running (fix 3) ---
  // Stepped: run only while `busy` > 0 (something waits for the chip) or host bytes wait.
  wanted() {
    return this.on && (!this.stepped || this.busy > 0 || this.hostQueue.length > 0
      || (this.cdc && !this.cdc.txFIFO.empty));
  }

  kick() {
    if (this.timer == null && this.wanted()) this.timer = setTimeout(() => this.turn(), 0);
  }

  turn() {
    this.timer = null;
    if (!this.wanted()) return;
    const core = this.mcu.core;
    const clock = this.sim.clock;
    const now = process.hrtime.bigint();
    if (this.realtime) this.idleBudget = Math.min(this.idleBudget + Number(now - this.lastTurn), 20e6);
    this.lastTurn = now;
    let delay = 0;
    for (let i = 0; i < BATCH && this.on; i++) {
      if (core.waiting) {
        let n = clock.nanosToNextAlarm;
        if (n <= 0) n = 1000;
        if (this.realtime) {
          if (this.idleBudget <= 0) { delay = 1; break; }
          n = Math.min(n, this.idleBudget);
          this.idleBudget -= n;
        }
        clock.tick(n);
        i += n / CYCLE_NS / 64;
      } else {
        clock.tick(core.executeInstruction() * CYCLE_NS);
      }
      if (this.resetPending) break;
      if (this.stepped && this.busy <= 0 && !this.hostQueue.length) break;
    }
    if (this.resetPending && this.on) {
      this.reset();
      return;
    }
    if (this.on && this.pendingRead === null && this.hostQueue.length) this.feed();
    if (this.wanted()) this.timer = setTimeout(() => this.turn(), delay);
  }
}
