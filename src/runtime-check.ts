// Imported first by every entry point: on an older Node a native module built for Node 22+
// would fail later with an obscure error, so refuse with one clear line instead.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `This server needs Node.js 22.12 or newer but found ${process.version}. ` +
      "Start it through npm (npm start), which uses the project's own Node 24.",
  );
  process.exit(1);
}
