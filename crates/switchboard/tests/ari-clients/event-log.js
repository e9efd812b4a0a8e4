'use strict';
// event-log.js: owns the events an ARI app has received and the waiting for one of them.
//
// Every event is kept in arrival order. `waitFor` hands out the first event not handed out
// yet that matches, waiting until one arrives or the timeout passes; the timeout's error
// lists what did arrive, so a failed run says where the flow stopped.

class EventLog {
  constructor() {
    this.events = [];
    this.taken = new Set();
    this.waiters = [];
  }

  /** Records an event and wakes the first waiter it matches. */
  push(event) {
    const index = this.events.push(event) - 1;
    const waiter = this.waiters.find((w) => w.matches(event));
    if (waiter) {
      this.taken.add(index);
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(event);
    }
  }

  /** The first untaken event matching `matches`, waiting up to `timeoutMs` for it. */
  waitFor(what, matches, timeoutMs) {
    const index = this.events.findIndex((event, i) => !this.taken.has(i) && matches(event));
    if (index >= 0) {
      this.taken.add(index);
      return Promise.resolve(this.events[index]);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.events.map((e) => e.type).join(', ');
        reject(new Error(`no ${what} within ${timeoutMs} ms; events so far: ${seen || 'none'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

/** A matcher for an event of `type` about the channel `channelId`. */
function onChannel(type, channelId, extra = () => true) {
  return (e) => e.type === type && e.channel && e.channel.id === channelId && extra(e);
}

module.exports = { EventLog, onChannel };
