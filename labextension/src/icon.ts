import { LabIcon } from '@jupyterlab/ui-components';

/** An FPGA chip: a package with pins on four sides and a grid of logic blocks. */
const CHIP_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M7 1h2v3H7zM11 1h2v3h-2zM15 1h2v3h-2zM7 20h2v3H7zM11 20h2v3h-2zM15 20h2v3h-2zM1 7h3v2H1zM1 11h3v2H1zM1 15h3v2H1zM20 7h3v2h-3zM20 11h3v2h-3zM20 15h3v2h-3z"/>
    <path d="M5 5h14v14H5zm2 2v10h10V7z"/>
    <path d="M8.5 8.5h3v3h-3zM12.5 8.5h3v3h-3zM8.5 12.5h3v3h-3zM12.5 12.5h3v3h-3z"/>
  </g>
</svg>`;

export const chipIcon = new LabIcon({ name: 'fpgalab:chip', svgstr: CHIP_SVG });
