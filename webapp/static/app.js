// Start the NHS.UK frontend components (header menu, error summary focus, password reveal...).
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

initAll()

// "Print" buttons are hidden until this script can make them work.
for (const button of document.querySelectorAll('[data-app-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
