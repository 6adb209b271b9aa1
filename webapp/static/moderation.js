// The live moderation queue: new items arrive over Socket.IO (/moderation) and are added to the
// list in queue order (clinical risk first, newest first). Post text arrives as HTML the server
// already escaped and linkified (webapp/user_text.py); everything else is set as text.
import { io } from './socketio/socket.io.esm.min.js'

const REFRESH_WHILE_RELAY_DOWN_MS = 5000
const LIVE = 'Live: new items appear as they arrive.'
const NOT_FULLY_LIVE = 'Not fully live: some items may take a few seconds to appear.'

const root = document.getElementById('queue')
if (root) start(root)

function start (root) {
  const list = document.getElementById('queue-items')
  const status = document.getElementById('queue-status')
  const csrfToken = root.dataset.csrfToken
  const socket = io('/moderation', {
    transports: ['websocket', 'polling'],
    auth: (send) => send({ csrf_token: csrfToken })
  })

  function card (item) {
    const li = document.createElement('li')
    li.className = 'nhsuk-card app-queue__item' + (item.is_clinical_risk ? ' app-queue__item--risk' : '')
    li.dataset.itemId = String(item.id)
    if (item.post_id) li.dataset.postId = String(item.post_id)
    li.dataset.risk = item.is_clinical_risk ? '1' : '0'
    const content = document.createElement('div')
    content.className = 'nhsuk-card__content'
    const meta = document.createElement('p')
    meta.className = 'nhsuk-body-s'
    const tag = document.createElement('strong')
    tag.className = 'nhsuk-tag ' + (item.kind === 'alert' ? 'nhsuk-tag--red' : item.kind === 'hold' ? 'nhsuk-tag--orange' : 'nhsuk-tag--grey')
    tag.textContent = item.kind.charAt(0).toUpperCase() + item.kind.slice(1)
    meta.append(tag, ' ', (item.is_clinical_risk ? 'Clinical risk. ' : '') + item.handle + ', just now' + (item.where ? `, ${item.where}` : ''))
    const body = document.createElement('div')
    body.className = 'app-post__body'
    body.innerHTML = item.html // escaped and linkified by the server
    const link = document.createElement('a')
    link.href = item.url
    link.textContent = `Review item ${item.id}`
    const linkLine = document.createElement('p')
    linkLine.append(link)
    content.append(meta, body)
    if (item.rule_ids.length) {
      const rules = document.createElement('p')
      rules.className = 'nhsuk-body-s'
      rules.textContent = 'Rules: ' + item.rule_ids.join(', ')
      content.append(rules)
    }
    content.append(linkLine)
    li.append(content)
    return li
  }

  function add (item) {
    if (list.querySelector(`[data-item-id="${item.id}"]`)) return
    document.getElementById('queue-empty')?.remove()
    const element = card(item)
    // Risk items go to the top; others after the last risk item.
    const firstOrdinary = item.is_clinical_risk
      ? list.firstElementChild
      : Array.from(list.children).find((li) => !li.classList.contains('app-queue__item--risk'))
    list.insertBefore(element, firstOrdinary || null)
    status.textContent = item.is_clinical_risk
      ? `New clinical-risk ${item.kind} from ${item.handle}.`
      : `New ${item.kind} from ${item.handle}.`
  }

  // While the server cannot reach the app's other instances ("relay", {live: false}), an item
  // queued on another instance is not pushed here, nor is a decision taken there: ask for the
  // open queue every few seconds, and show it as it is.
  let asking = null
  function refresh () {
    socket.emit('refresh', (answer) => {
      if (!answer || !answer.ok) return
      const open = new Set(answer.items.map((item) => String(item.id)))
      list.querySelectorAll('li[data-item-id]').forEach((li) => { if (!open.has(li.dataset.itemId)) li.remove() })
      answer.items.slice().reverse().forEach(add)
    })
  }
  function stopAsking () { clearInterval(asking); asking = null }
  function showLive () { status.textContent = asking ? NOT_FULLY_LIVE : LIVE }
  socket.on('relay', ({ live }) => {
    stopAsking()
    if (!live) asking = setInterval(refresh, REFRESH_WHILE_RELAY_DOWN_MS)
    showLive()
    refresh()
  })

  // (What the server sends at the door, "queue" and "relay", arrives before "connect".)
  socket.on('connect', showLive)
  socket.on('disconnect', () => {
    stopAsking() // told again at the door
    status.textContent = 'Reconnecting… reload the page if this lasts.'
  })
  socket.on('connect_error', (error) => { status.textContent = `Not live: ${error.message}` })
  socket.on('item', add)
  // On every (re)connection the server sends the open queue: add anything missed while away.
  socket.on('queue', (items) => {
    items.slice().reverse().forEach(add)
    showLive()
  })
  // A decision on a post closes all its items; a group meeting's alert is closed on its own.
  socket.on('decided', ({ post_id: postId, item_id: itemId }) => {
    const selector = itemId ? `[data-item-id="${itemId}"]` : `[data-post-id="${postId}"]`
    list.querySelectorAll(selector).forEach((li) => li.remove())
    status.textContent = 'A moderator decided on an item; it has left the queue.'
  })
  socket.on('acknowledged', ({ id }) => {
    const element = list.querySelector(`[data-item-id="${id}"] .nhsuk-tag`)
    if (element) element.textContent += ' (acknowledged)'
  })
}
