// Two things dcc.Upload does not do, for every drop zone inside [data-max-bytes]:
// - it drops a file over its max_size without a word: show the message the page
//   carries (in the reader's language) next to it;
// - a file input only reports a change, so choosing the same file name again (after
//   fixing the file) would do nothing: empty the input once the file has been taken.
(function () {
  function check(event) {
    var box = event.target && event.target.closest && event.target.closest("[data-max-bytes]");
    if (!box) {
      return;
    }
    var files = (event.dataTransfer && event.dataTransfer.files) || event.target.files || [];
    var limit = Number(box.getAttribute("data-max-bytes"));
    var tooBig = Array.prototype.some.call(files, function (file) {
      return file.size > limit;
    });
    var message = box.querySelector(".lounge-upload-too-big");
    if (message) {
      message.hidden = !tooBig;
    }
    if (event.type === "change") {
      var input = event.target;
      setTimeout(function () {
        input.value = "";
      }, 0);
    }
  }
  document.addEventListener("change", check, true);
  document.addEventListener("drop", check, true);
})();
