// Jest's node environment that tells the test file whether anything failed (global.__e2eFailures), so the
// stack can print its services' logs only then. Plain JS: Jest loads environments without transforming.
'use strict';
const { TestEnvironment } = require('jest-environment-node');

class E2eEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.__e2eFailures = [];
  }

  handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      const test = event.test;
      this.global.__e2eFailures.push(test ? test.name : `${event.hook.type} hook`);
    }
  }
}

module.exports = E2eEnvironment;
