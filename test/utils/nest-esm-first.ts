// Run before every test file (jest.config.js `setupFiles`). @nestjs/throttler is CommonJS and
// require()s the ES modules @nestjs/common and @nestjs/core. When a test file's import graph reaches
// throttler before Jest has evaluated those two, Jest refuses the require() as a cycle
// ("Cannot require() ES Module … in a cycle"); Node itself has no such problem, since it evaluates
// a CommonJS dependency only when its turn comes. Evaluating them here first gives throttler's
// require() finished modules, the same instances the test file then imports.
import '@nestjs/common';
import '@nestjs/core';
