/** Remove the server root that playwright.config.js made for this run. */
const fs = require('fs');

module.exports = async () => {
  if (process.env.FPGALAB_UI_ROOT_MADE === '1' && process.env.FPGALAB_UI_ROOT) {
    fs.rmSync(process.env.FPGALAB_UI_ROOT, { recursive: true, force: true });
  }
};
